"""request_issue_many: a batch of issue requests sharing its work, each with its own answer."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from jitsuin.audit.models import AuditEvent
from jitsuin.audit.services import verify
from jitsuin.lifecycle.issue_requests import MAX_ISSUE_BATCH
from jitsuin.lifecycle.models import Person, Request, RequestState, RequestTransition
from jitsuin.lifecycle.services import IssueItem, request_issue, request_issue_many
from jitsuin.notify.models import OutboxMessage
from tests.lifecycle.conftest import key, make_person, run_pipeline


def _csr() -> str:
    private = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    return csr.sign(private, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_a_batch_makes_each_request_with_its_history_audit_mail_and_task(profile, t0):
    people = [make_person(f"u{i}") for i in range(5)]
    items = [IssueItem(p, key("b"), csr_pem=_csr() if i % 2 else "") for i, p in enumerate(people)]
    outcomes = request_issue_many(items, actor="api:t", now=t0)
    assert [o.created for o in outcomes] == [True] * 5
    assert [o.error for o in outcomes] == [None] * 5
    made = [o.request for o in outcomes]
    assert [r.person for r in made] == people
    assert [bool(r.csr_pem) for r in made] == [False, True, False, True, False]
    assert {r.state for r in Request.objects.all()} == {RequestState.QUEUED}
    assert RequestTransition.objects.filter(from_state="", to_state="queued").count() == 5
    created = AuditEvent.objects.filter(action="request.issue.created")
    assert sorted(created.values_list("object_id", flat=True)) == sorted(str(r.pk) for r in made)
    assert verify() is None
    received = OutboxMessage.objects.filter(event="request_received")
    assert sorted(received.values_list("to", flat=True)) == sorted(p.email for p in people)
    tasks = DBTaskResult.objects.filter(task_path__endswith="process_request")
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(r.pk for r in made)
    # One send task for the batch's five "received" e-mails.
    sends = DBTaskResult.objects.filter(task_path__endswith="send_messages")
    assert [len(t.args_kwargs["args"][0]) for t in sends] == [5]
    run_pipeline(t0)
    states = [Request.objects.get(pk=r.pk).state for r in made]
    assert states == ["ready", "done", "ready", "done", "ready"]


def test_refusals_are_per_item_and_do_not_stop_the_others(profile, t0):
    alice, bob, carol = make_person("alice"), make_person("bob"), make_person("carol", active=False)
    taken = request_issue(bob, actor="user:bob", idempotency_key="taken", now=t0)
    outcomes = request_issue_many(
        [
            IssueItem(alice, key(), csr_pem="-----BEGIN CERTIFICATE REQUEST-----\nxx\n"),
            IssueItem(alice, key()),
            IssueItem(alice, "taken"),  # bob's key
            IssueItem(carol, key()),  # not active
            IssueItem(bob, key()),  # bob has an open request: that one
        ],
        actor="api:t",
        now=t0,
    )
    codes = [o.error.code if o.error else None for o in outcomes]
    assert codes == ["invalid_csr", None, "idempotency_key_reused", "inactive", None]
    assert outcomes[1].created and outcomes[1].request.person == alice
    assert outcomes[4].request == taken and not outcomes[4].created
    assert Request.objects.count() == 2


def test_a_retry_of_the_same_batch_answers_the_same_requests(profile, t0):
    people = [make_person(f"r{i}") for i in range(3)]
    items = [IssueItem(p, f"retry-{p.uid}") for p in people]
    first = request_issue_many(items, actor="api:t", now=t0)
    again = request_issue_many(items, actor="api:t", now=t0)
    assert [o.request.pk for o in again] == [o.request.pk for o in first]
    assert [o.created for o in again] == [False] * 3
    assert Request.objects.count() == 3
    assert OutboxMessage.objects.filter(event="request_received").count() == 3
    assert DBTaskResult.objects.filter(task_path__endswith="process_request").count() == 3


def test_the_same_person_twice_in_a_batch_gets_one_request(profile, alice, t0):
    same_key = request_issue_many(
        [IssueItem(alice, "same"), IssueItem(alice, "same")], actor="api:t", now=t0
    )
    assert same_key[0].request.pk == same_key[1].request.pk
    assert [o.created for o in same_key] == [True, False]
    other = make_person("other")
    two_keys = request_issue_many(
        [IssueItem(other, key()), IssueItem(other, key())], actor="api:t", now=t0
    )
    # The second finds the first open (one open issue request per person and profile).
    assert two_keys[1].request.pk == two_keys[0].request.pk
    assert Request.objects.count() == 2


def test_the_batch_is_capped_before_any_work(profile, alice, t0):
    items = [IssueItem(alice, key())] * (MAX_ISSUE_BATCH + 1)
    with pytest.raises(ValueError, match="at most"):
        request_issue_many(items, actor="api:t", now=t0)
    with pytest.raises(ValueError, match="idempotency key"):
        request_issue_many([IssueItem(alice, "")], actor="api:t", now=t0)
    assert Request.objects.count() == 0


def test_a_batch_costs_a_few_statements_whatever_its_size(profile, t0):
    def statements(n: int, prefix: str) -> int:
        people = [make_person(f"{prefix}{i}") for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            request_issue_many([IssueItem(p, key()) for p in people], actor="api:t", now=t0)
        return len(queries)

    statements(1, "warm")
    small, large = statements(2, "s"), statements(40, "l")
    assert large == small  # nothing per request
    assert large <= 20


def test_one_click_costs_eleven_statements_at_most_and_one_task_insert(profile, t0):
    statements = []
    for i in range(2):  # the first warms the profile's caches
        person = make_person(f"click{i}")
        with CaptureQueriesContext(connection) as queries:
            request_issue_many([IssueItem(person, key(), profile)], actor="api:t", now=t0)
        statements = [q["sql"] for q in queries.captured_queries]
    # BEGIN (SQLite's), the person locked (with what spares the policy reads), the requests
    # (open ones and the key's), the request, its history row, its e-mail, its two tasks, the
    # audit append (three statements on SQLite, two on PostgreSQL), COMMIT.
    assert len(statements) <= (11 if connection.vendor == "sqlite" else 10)
    task_inserts = [s for s in statements if s.startswith('INSERT INTO "django_tasks')]
    assert len(task_inserts) == 1
    made = Request.objects.latest("pk")
    mail = OutboxMessage.objects.get(key=f"request-received:{made.pk}")
    args = {
        (t.task_path.rsplit(".", 1)[-1], str(t.args_kwargs["args"]))
        for t in DBTaskResult.objects.all()
    }
    assert ("process_request", str([made.pk])) in args
    assert ("send_messages", str([[mail.pk]])) in args
    assert verify() is None


def test_a_key_taken_between_read_and_insert_makes_the_batch_start_again(
    profile, alice, t0, monkeypatch
):
    from jitsuin.lifecycle import issue_requests

    bob = make_person("bob")
    real, calls = issue_requests.issue_facts, []

    def racing(pairs, now, **kwargs):
        calls.append(len(pairs))
        facts = real(pairs, now, **kwargs)  # the keys are read here
        if len(calls) == 1:  # someone else's request takes alice's key now (rolled back too)
            Request.objects.create(
                kind="issue", person=bob, profile=profile, state="queued",
                state_changed_at=now, created_at=now, requested_by="x", idempotency_key="race",
            )  # fmt: skip
        return facts

    monkeypatch.setattr(issue_requests, "issue_facts", racing)
    (outcome,) = request_issue_many([IssueItem(alice, "race")], actor="api:t", now=t0)
    assert calls == [1, 1]
    assert outcome.created and outcome.request.person == alice
    # Nothing of the first attempt is left: one request, one history row, one event, one mail.
    assert list(Request.objects.values_list("person__uid", flat=True)) == ["alice"]
    assert RequestTransition.objects.count() == 1
    assert AuditEvent.objects.filter(action="request.issue.created").count() == 1
    assert OutboxMessage.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="process_request").count() == 1
    assert verify() is None


def test_refused_items_leave_no_row_task_or_mail(profile, t0):
    inactive = make_person("gone", active=False)
    (outcome,) = request_issue_many([IssueItem(inactive, key())], actor="api:t", now=t0)
    assert outcome.error.code == "inactive"
    assert Request.objects.count() == OutboxMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_person_deleted_since_the_caller_read_them_is_that_items_refusal(profile, t0):
    gone, here = make_person("gone"), make_person("here")
    Person.objects.filter(pk=gone.pk).delete()
    outcomes = request_issue_many(
        [IssueItem(gone, key()), IssueItem(here, key())], actor="t", now=t0
    )
    assert outcomes[0].error.code == "not_found" and outcomes[1].created
