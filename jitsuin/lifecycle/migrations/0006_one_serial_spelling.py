"""Every stored serial in one spelling: lower-case hex without leading zeros.

Certificates and OCSP responses were mostly stored so already; CAs were stored in upper case
with an even number of digits. Lookups now match that one spelling exactly.
"""

from django.db import migrations


def _db(serial: str) -> str:
    # Frozen copy of jitsuin.pki.names.Serial.parse(...).db for the spellings ever written.
    cleaned = serial.strip().replace(":", "").replace(" ", "")
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    return f"{int(cleaned, 16):x}"


def normalize(apps, schema_editor):
    for app, model in (
        ("authorities", "Authority"),
        ("lifecycle", "Certificate"),
        ("authorities", "OcspResponse"),
    ):
        manager = apps.get_model(app, model)._base_manager
        changed = []
        for row in manager.only("pk", "serial").iterator(chunk_size=2000):
            spelling = _db(row.serial)
            if spelling != row.serial:
                row.serial = spelling
                changed.append(row)
        manager.bulk_update(changed, ["serial"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0005_request_silent"),
        # OcspResponse belongs to authorities from its 0002 on (its table keeps its name).
        ("authorities", "0002_publishing_models"),
    ]

    operations = [migrations.RunPython(normalize, migrations.RunPython.noop)]
