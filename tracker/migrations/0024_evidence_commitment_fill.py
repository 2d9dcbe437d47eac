"""Evidence recorded before 0023: its update's commitment copied onto it."""

from django.db import migrations

FILL = (
    "UPDATE tracker_evidence SET commitment_id = (SELECT u.commitment_id "
    "FROM tracker_statusupdate u WHERE u.id = tracker_evidence.status_update_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0023_evidence_commitment"),
    ]

    operations = [
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
    ]
