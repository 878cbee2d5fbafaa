"""Issue and revoke orders: policy, idempotency and the signer's audit chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.services import certificate_of
from jitsuin.signer import endpoints, orders
from jitsuin.signer.models import RegisteredRa, SignerOrder
from jitsuin.signer.policy import Refused
from tests.signer.conftest import issue_body, public_key_pem


def _certificate(answer: dict[str, object]) -> x509.Certificate:
    return x509.load_pem_x509_certificate(str(answer["certificate"]).encode())


def test_an_order_is_signed_by_the_issuing_ca_and_audited(ra, ca_hierarchy):
    now = timezone.now()
    answer = orders.issue(ra, issue_body(), now)
    leaf = _certificate(answer)
    issuer = certificate_of(ca_hierarchy.intermediate)
    leaf.verify_directly_issued_by(issuer)
    assert [entry["role"] for entry in answer["chain"]] == ["intermediate", "root"]  # type: ignore[index]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Alice"
    event = AuditEvent.objects.get(action="signer.issued")
    assert event.actor == "token:ra/ra-one"
    assert event.data["serial"] == SignerOrder.objects.get().serial


def test_the_same_key_and_content_returns_the_same_certificate_without_signing_again(ra):
    body = issue_body()
    first = orders.issue(ra, body, timezone.now())
    again = orders.issue(ra, dict(body), timezone.now() + timedelta(minutes=5))
    assert again["certificate"] == first["certificate"]
    assert SignerOrder.objects.count() == 1
    assert AuditEvent.objects.filter(action="signer.issued").count() == 1


def test_the_same_key_with_other_content_is_a_conflict(ra):
    orders.issue(ra, issue_body(), timezone.now())
    with pytest.raises(Refused, match="another order") as caught:
        orders.issue(ra, issue_body(public_key=public_key_pem()), timezone.now())
    assert caught.value.status == 409


def test_the_same_key_from_another_ra_is_another_order(ra):
    other = RegisteredRa.objects.create(
        name="ra-two",
        certificate_fingerprint="cd" * 32,
        profiles=["client-auth"],
        email_domains=["example.ac.jp"],
        organizations=["Example University"],
    )
    orders.issue(ra, issue_body(), timezone.now())
    orders.issue(other, issue_body(), timezone.now())
    assert SignerOrder.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"profile": "client-auth-smime"}, "may not order profile"),
        ({"email": "mallory@elsewhere.example"}, "outside RA ra-one's e-mail domains"),
        ({"subject": "CN=Alice,O=Another University"}, "O=Another University is outside"),
        ({"validity_seconds": int(timedelta(days=365 * 30).total_seconds())}, "expires on"),
    ],
)
def test_policy_refusals_are_422_and_audited(ra, changes, message):
    with pytest.raises(Refused, match=message) as caught:
        endpoints.dispatch(ra, "POST", "/v1/issue", issue_body(**changes), timezone.now())
    assert caught.value.status == 422
    assert SignerOrder.objects.count() == 0
    refused = AuditEvent.objects.get(action="signer.issue_refused")
    assert message.split()[0] in refused.data["reason"]


@pytest.mark.parametrize(
    "changes",
    [
        {"validity_seconds": 0},
        {"validity_seconds": "30d"},
        {"subject": "not a name"},
        {"public_key": "not a key"},
        {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},  # both a key and a CSR
        {"idempotency_key": ""},
    ],
)
def test_malformed_orders_are_400(ra, changes):
    with pytest.raises(Refused) as caught:
        orders.issue(ra, issue_body(**changes), timezone.now())
    assert caught.value.status == 400


def test_a_csr_is_signed_for_its_key(ra):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ignored")]))
        .sign(key, hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM).decode()
    answer = orders.issue(ra, issue_body(public_key="", csr=pem), timezone.now())
    assert _certificate(answer).public_key() == key.public_key()


def test_the_rate_limit_answers_429_with_retry_after(ra):
    now = timezone.now()
    for n in range(ra.rate_per_minute):
        orders.issue(ra, issue_body(f"k{n}"), now)
    with pytest.raises(Refused) as caught:
        orders.issue(ra, issue_body("one-too-many"), now + timedelta(seconds=10))
    assert caught.value.status == 429
    assert 1 <= caught.value.retry_after <= 51
    orders.issue(ra, issue_body("later"), now + timedelta(seconds=61))


def test_a_replay_is_answered_even_beyond_the_rate(ra):
    now = timezone.now()
    body = issue_body("k0")
    first = orders.issue(ra, body, now)
    for n in range(1, ra.rate_per_minute):
        orders.issue(ra, issue_body(f"k{n}"), now)
    assert orders.issue(ra, body, now)["certificate"] == first["certificate"]


def _issued(ra: RegisteredRa) -> tuple[int, str]:
    answer = orders.issue(ra, issue_body("to-revoke"), timezone.now())
    leaf = _certificate(answer)
    issuer = x509.load_pem_x509_certificate(answer["chain"][0]["pem"].encode())  # type: ignore[index]
    return leaf.serial_number, issuer.fingerprint(hashes.SHA256()).hex()


def test_revoking_is_idempotent_and_only_for_the_ras_own_certificates(ra):
    serial, issuer = _issued(ra)
    body = {
        "idempotency_key": "r1",
        "issuer_fingerprint": issuer,
        "serial": serial,
        "reason": "keyCompromise",
    }
    now = timezone.now()
    first = orders.revoke(ra, body, now)
    assert orders.revoke(ra, dict(body), now + timedelta(minutes=1)) == first
    # Under another key: the revocation that stands.
    assert (
        orders.revoke(ra, {**body, "idempotency_key": "r2"}, now)["revoked_at"]
        == first["revoked_at"]
    )
    assert SignerOrder.objects.filter(kind="revoke").count() == 1
    with pytest.raises(Refused) as caught:
        orders.revoke(ra, {**body, "idempotency_key": "r3", "serial": serial + 1}, now)
    assert caught.value.status == 404
    other = RegisteredRa.objects.create(
        name="ra-two", certificate_fingerprint="cd" * 32, profiles=["client-auth"]
    )
    with pytest.raises(Refused, match="had no certificate"):
        orders.revoke(other, {**body, "idempotency_key": "r4"}, now)


def test_a_bad_reason_is_400(ra):
    serial, issuer = _issued(ra)
    body = {
        "idempotency_key": "r1",
        "issuer_fingerprint": issuer,
        "serial": serial,
        "reason": "boredom",
    }
    with pytest.raises(Refused) as caught:
        orders.revoke(ra, body, timezone.now())
    assert caught.value.status == 400
