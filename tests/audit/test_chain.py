import pytest
from django.db import transaction

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import record, verify

pytestmark = pytest.mark.django_db


def _three_events():
    with transaction.atomic():
        for n in range(3):
            record("test.event", actor="user:alice", data={"n": n, "text": "失効"})


def test_an_untouched_chain_verifies():
    _three_events()
    assert verify() is None


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record("test.event")


def test_a_changed_row_is_the_first_broken_link():
    _three_events()
    second = AuditEvent.objects.order_by("id")[1]
    AuditEvent.objects.filter(pk=second.pk).update(actor="user:mallory")
    broken = verify()
    assert broken is not None and broken.event_id == second.pk


def test_a_deleted_row_breaks_the_link_after_it():
    _three_events()
    first, second, third = AuditEvent.objects.order_by("id")
    AuditEvent.objects.filter(pk=second.pk).delete()
    broken = verify()
    assert broken is not None and broken.event_id == third.pk


def test_deleting_the_newest_row_is_noticed():
    _three_events()
    AuditEvent.objects.order_by("-id").first().delete()
    broken = verify()
    assert broken is not None and "deleted" in broken.reason
