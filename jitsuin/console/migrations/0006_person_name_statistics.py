"""The people search's plan for a name (docs/performance.md, "The console's pages: people
search and stuck queue"): PostgreSQL samples ``lifecycle_person.name_search`` more widely.

A search is ``uid OR e-mail OR name_search LIKE '%...%' ORDER BY uid LIMIT``. With the default
statistics (100) PostgreSQL guessed ~3,000 people for a full name that 172 of 300,000 share,
so it walked the uid index and filtered 46,000-83,000 rows for the first page (80-97 ms);
with 1,000 its guess is ~230 and it ORs the three trigram indexes and sorts (0.5 ms). A
surname shared by thousands still walks the uid index and stops at the page's end (5 ms).
Names repeat (a name is no key), which is what the larger sample captures. PostgreSQL only;
the next ANALYZE (autovacuum's, or the generator's) uses it.
"""

from django.db import migrations

TARGET = 1000


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE lifecycle_person ALTER COLUMN name_search SET STATISTICS {TARGET}"
        )


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE lifecycle_person ALTER COLUMN name_search SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0005_relying_parties_and_key_recovery_permissions"),
        ("lifecycle", "0013_search_indexes"),
    ]

    operations = [migrations.RunPython(widen, restore, elidable=False)]
