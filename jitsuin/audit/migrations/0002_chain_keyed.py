"""Switch an existing log to the keyed chain: append one ``audit.chain_keyed`` event.

Events written before this migration keep their plain SHA-256 hashes and verify as
legacy; the marker (keyed, covering the last legacy hash) and every later event are
HMACs under the audit key (jitsuin/audit/chain.py). An empty log needs no marker.
"""

from django.db import migrations
from django.utils import timezone

from jitsuin.audit.chain import KEYED_MARKER, event_hash
from jitsuin.audit.keys import chain_key


def mark_chain_keyed(apps, schema_editor):  # type: ignore[no-untyped-def]
    head_model = apps.get_model("audit", "AuditChainHead")
    event_model = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    head = head_model.objects.using(db).select_for_update().filter(pk=1).first()
    if head is None or head.count == 0:
        return
    if event_model.objects.using(db).filter(action=KEYED_MARKER).exists():
        return
    marker = event_model.objects.using(db).create(
        at=timezone.now(),
        actor="system",
        action=KEYED_MARKER,
        object_type="",
        object_id="",
        data={"legacy_events": head.count, "legacy_head": head.last_hash},
        prev_hash=head.last_hash,
        hash=f"pending-{head.count + 1}-{head.last_hash[:16]}",
    )
    marker.refresh_from_db(fields=["at", "data"])
    marker.hash = event_hash(
        key=chain_key(),
        prev_hash=marker.prev_hash,
        event_id=marker.pk,
        at=marker.at,
        actor=marker.actor,
        action=marker.action,
        object_type=marker.object_type,
        object_id=marker.object_id,
        data=marker.data,
    )
    marker.save(update_fields=["hash"])
    head.last_hash = marker.hash
    head.count += 1
    head.save(update_fields=["last_hash", "count"])


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(mark_chain_keyed, migrations.RunPython.noop)]
