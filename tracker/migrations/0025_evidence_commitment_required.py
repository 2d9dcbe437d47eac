"""Evidence's commitment required, and "what each side says" indexed by it.

On SQLite, NOT NULL rebuilds the table; the rename at the end of the rebuild fails while a
trigger names the table that is momentarily gone, so the triggers naming it are dropped
first (and again before the rebuild when migrating back). They are made again after every
migrate (tracker/apps.py's post_migrate installs)."""

import django.db.models.deletion
from django.db import migrations, models


def drop_sqlite_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE %s",
            ["%tracker_evidence%"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0024_evidence_commitment_fill"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="evidence",
            name="commitment",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tracker.commitment",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_sqlite_triggers, elidable=False),
        migrations.RemoveIndex(model_name="evidence", name="tracker_evidence_speaker_idx"),
        migrations.AddIndex(
            model_name="evidence",
            index=models.Index(
                fields=["commitment", "speaker_party"], name="tracker_evidence_party_idx"
            ),
        ),
    ]
