"""Indexes for institution scale, chosen by EXPLAIN ANALYZE on 1,000,000 certificates and
300,000 people (docs/performance.md, "Portal and console at 1,000,000 certificates").

PostgreSQL only: trigram (pg_trgm) indexes for the console's substring search on uid,
e-mail and names, and pattern indexes for the serial prefix search (hex and decimal). On
SQLite, a small site's database, every operation here does nothing. The expressions are
the ones Django writes for the lookups the search uses: ``uid__icontains`` is
``UPPER(uid::text) LIKE UPPER(...)``, ``name_search__contains`` is ``name_search::text LIKE``.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "lifecycle_person_uid_trgm": "lifecycle_person USING gin ((UPPER(uid::text)) gin_trgm_ops)",
    "lifecycle_person_email_trgm": (
        "lifecycle_person USING gin ((UPPER(email::text)) gin_trgm_ops)"
    ),
    "lifecycle_person_name_trgm": "lifecycle_person USING gin (name_search gin_trgm_ops)",
    "lifecycle_certificate_serial_prefix": (
        "lifecycle_certificate (serial varchar_pattern_ops)"
    ),
    "lifecycle_certificate_serial_decimal_prefix": (
        "lifecycle_certificate (serial_decimal varchar_pattern_ops)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0012_certificate_serial_decimal"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create, drop),
    ]
