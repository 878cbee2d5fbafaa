"""Certificate.serial_decimal: the serial in decimal digits, so that the console can find a
certificate by a decimal prefix through an index (issue 15)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    # Frozen copy of lifecycle.querysets.serial_decimal.
    manager = apps.get_model("lifecycle", "Certificate")._base_manager
    changed = []
    for row in manager.only("pk", "serial").iterator(chunk_size=5000):
        row.serial_decimal = str(int(row.serial, 16)) if row.serial else ""
        changed.append(row)
        if len(changed) == 5000:
            manager.bulk_update(changed, ["serial_decimal"])
            changed = []
    manager.bulk_update(changed, ["serial_decimal"])


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0011_key_archive"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="serial_decimal",
            field=models.CharField(blank=True, editable=False, max_length=60),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
