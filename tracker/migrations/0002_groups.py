from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW_ALL = [
    "view_party",
    "view_area",
    "view_event",
    "view_source",
    "view_commitment",
    "view_commitmentparty",
    "view_statusupdate",
    "view_evidence",
    "view_indicator",
    "view_measurement",
    "view_historicalcommitment",
]
GROUPS = {
    "Analysts": VIEW_ALL
    + ["add_statusupdate", "add_evidence", "add_source", "add_measurement", "change_commitment"],
    "Managers": VIEW_ALL + ["change_commitment", "review_statusupdate", "add_source"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
