"""Each piece of evidence carries its update's commitment (for "what each side says"). It is
filled in and made NOT NULL by the next two migrations, each in its own transaction: on
PostgreSQL a table whose rows were just written under a deferred foreign key cannot be
altered, nor indexed, in the same transaction ("pending trigger events")."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0022_dashboard_growth_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="evidence",
            name="commitment",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tracker.commitment",
            ),
        ),
    ]
