"""Request.silent: a revocation the person is told about another way (their pickup expired).

It was recognised by its idempotency key until now; existing such requests are marked.
"""

from django.db import migrations, models


def mark_pickup_expiry_revocations(apps, schema_editor):
    Request = apps.get_model("lifecycle", "Request")
    Request.objects.filter(kind="revoke", idempotency_key__startswith="pickup-expired:").update(
        silent=True
    )


class Migration(migrations.Migration):

    dependencies = [
        ('lifecycle', '0004_worker_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='request',
            name='silent',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_pickup_expiry_revocations, migrations.RunPython.noop),
    ]
