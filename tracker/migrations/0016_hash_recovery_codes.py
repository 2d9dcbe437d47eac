"""Recovery codes already made are kept, stored from now on as hashes (see
tracker/accounts/recovery_codes.py): the encrypted seed is replaced by the hashes of the codes
still unused. Users keep signing in with the codes they saved. It cannot be undone: the seed is
gone."""

from django.db import migrations


def hash_recovery_codes(apps, schema_editor):
    from tracker.accounts.recovery_codes import hashed_from_legacy

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type="recovery_codes").iterator():
        converted = hashed_from_legacy(authenticator.data)
        if converted is not None:
            authenticator.data = converted
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0015_second_factor"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(hash_recovery_codes, migrations.RunPython.noop)]
