"""The app decides who may do what in tracker/access.py, from group membership alone; the
Django permissions that 0002 granted to the groups were checked by nothing. Take them away,
and drop the custom `review_statusupdate` permission. The admin is for superusers."""

from django.db import migrations

GROUPS = ["Analysts", "Managers"]


def strip_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.clear()
    Permission.objects.filter(
        content_type__app_label="tracker", codename="review_statusupdate"
    ).delete()


def regrant(apps, schema_editor):
    import importlib

    importlib.import_module("tracker.migrations.0002_groups").create_groups(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_dashboard_state_indexes")]

    operations = [
        migrations.AlterModelOptions(
            name="statusupdate",
            options={"ordering": ["-as_of", "-created_at", "-id"]},
        ),
        migrations.RunPython(strip_permissions, regrant),
    ]
