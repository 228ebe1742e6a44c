"""``idempotency_key`` NOT NULL, as the model has always declared it (0001 said ``null=True``).

Only intents carry a key; every other record has ``""``, which is what the model has always
written, so no stored row holds NULL. No row is rewritten either: on PostgreSQL this is an
``ALTER COLUMN ... SET NOT NULL`` (Django adds and drops a temporary default, and updates
nothing), so the append-only triggers of 0002 are not involved and every record keeps its hash.
A NULL written outside the model would make the migration fail rather than be changed.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_postgres_append_only")]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
