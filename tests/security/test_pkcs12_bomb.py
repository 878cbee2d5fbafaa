"""Finding 1: one 820-byte PKCS#12 upload with 2^31-1 MAC iterations froze the whole server
(about 15 minutes holding the GIL), /ocsp included. Such files are now refused unopened."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application

from jitsuin.authorities.publishing.ocsp_signing import reset_process_caches
from jitsuin.authorities.services import certificate_of
from jitsuin.cli.server import build_server
from jitsuin.pki.pkcs12 import Pkcs12Profile, build_pkcs12
from jitsuin.revocation.fastpath import OcspWsgi
from tests.pki.pfx_bombs import BOMB_PIN, mac_bomb
from tests.revocation.factories import issue, make_hierarchy


@pytest.mark.django_db
def test_the_portal_refuses_the_bomb_at_once_in_japanese_and_english(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    for language, words in (("ja", "2,147,483,647"), ("en", "key-derivation rounds")):
        started = time.perf_counter()
        page = client.post(
            "/check/",
            {"certificate": SimpleUploadedFile("b.p12", mac_bomb()), "pin": BOMB_PIN},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert time.perf_counter() - started < 5  # the rounds would take minutes
        assert page.status_code == 200
        assert words in page.content.decode()


@pytest.mark.django_db
def test_the_api_refuses_the_bomb_with_a_code(ca_hierarchy, client):  # type: ignore[no-untyped-def]
    body = {"certificate": base64.b64encode(mac_bomb()).decode(), "pin": BOMB_PIN}
    answer = client.post("/api/v1/check", body, content_type="application/json")
    assert answer.status_code == 422
    assert answer.json()["code"] == "pkcs12_too_costly"
    assert "jitsuin" in answer.json()["message"] and "iterations" not in answer.json()["message"]
    in_english = client.post(
        "/api/v1/check", {**body, "lang": "en"}, content_type="application/json"
    )  # the body's ``lang`` decides the error's language too
    assert "more key-derivation iterations" in in_english.json()["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("profile", list(Pkcs12Profile))
def test_files_jitsuin_makes_are_still_checked(client, profile):  # type: ignore[no-untyped-def]

    pki = make_hierarchy()
    issued = issue(pki.current, uid="p12")
    data = build_pkcs12(
        key=issued.key,
        certificate=issued.certificate,
        chain=[certificate_of(pki.current)],
        pin="k7vm-p3xa-9ftq",
        friendly_name="x",
        profile=profile,
    )
    body = {"certificate": base64.b64encode(data).decode(), "pin": "k7vm-p3xa-9ftq"}
    answer = client.post("/api/v1/check", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "valid"


@pytest.mark.django_db(transaction=True)
def test_ocsp_answers_promptly_while_ten_bombs_arrive():  # type: ignore[no-untyped-def]
    reset_process_caches()
    pki = make_hierarchy()
    issued = issue(pki.current, uid="ocsp-during-bombs")
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(issued.certificate, certificate_of(pki.current), hashes.SHA1())  # noqa: S303
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    server = build_server("127.0.0.1", 0, OcspWsgi(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    bomb = json.dumps(
        {"certificate": base64.b64encode(mac_bomb()).decode(), "pin": BOMB_PIN}
    ).encode()

    def upload(_: int) -> int:
        post = urllib.request.Request(
            url + "/api/v1/check", bomb, {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(post, timeout=120) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as refused:
            return refused.code

    def ask_ocsp() -> ocsp.OCSPResponse:
        post = urllib.request.Request(
            url + "/ocsp", request, {"Content-Type": "application/ocsp-request"}
        )
        with urllib.request.urlopen(post, timeout=120) as answer:  # noqa: S310
            return ocsp.load_der_ocsp_response(answer.read())

    try:
        ask_ocsp()  # warm: responder key loaded, answer stored
        with ThreadPoolExecutor(max_workers=11) as pool:
            uploads = [pool.submit(upload, i) for i in range(10)]
            started = time.perf_counter()
            answer = pool.submit(ask_ocsp).result()
            elapsed = time.perf_counter() - started
            statuses = [u.result() for u in uploads]
        assert answer.certificate_status is ocsp.OCSPCertStatus.GOOD
        # Ten bombs used to freeze the process for hours; a loaded 2-core machine still answers
        # within a few seconds.
        assert elapsed < 5
        assert statuses == [422] * 10
    finally:
        server.shutdown()
        server.server_close()
        reset_process_caches()
