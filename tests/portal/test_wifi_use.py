"""The portal shows each certificate's latest Wi-Fi login that a relying party reported:
"Last used for Wi-Fi at ... (NAS)" / 「最終利用 (Wi-Fi): …」, on the owner's pages only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jitsuin.sightings.services import record_sighting

pytestmark = pytest.mark.django_db


def sighted(certificate, nas: str, *, minutes_ago: int, result: str = "accept") -> None:
    record_sighting(
        certificate,
        token_name="radius-1",
        nas_identifier=nas,
        nas_ip="10.1.2.3",
        result=result,
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_latest_accepted_login_shows_on_the_detail_and_the_list(alice_cert, client_for):
    sighted(alice_cert, "ap-gym", minutes_ago=90)
    sighted(alice_cert, "ap-lib-3f", minutes_ago=5)
    sighted(alice_cert, "ap-cafe", minutes_ago=1, result="reject")  # a refusal is not a use
    at = timezone.localtime(timezone.now() - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M")
    english = client_for(alice_cert.person)
    for page in (f"/certificates/{alice_cert.pk}/", "/"):
        body = english.get(page).content.decode()
        assert f"Last used for Wi-Fi at {at} (ap-lib-3f)" in body, page
    japanese = client_for(alice_cert.person, language="ja")
    body = japanese.get(f"/certificates/{alice_cert.pk}/").content.decode()
    assert f"最終利用 (Wi-Fi): {at}（ap-lib-3f）" in body


def test_nothing_is_shown_without_a_sighting_nor_to_someone_else(alice_cert, bob, client_for):
    assert 'data-testid="wifi-use"' not in client_for(alice_cert.person).get("/").content.decode()
    sighted(alice_cert, "ap-lib-3f", minutes_ago=5)
    other = client_for(bob)
    assert other.get(f"/certificates/{alice_cert.pk}/").status_code == 404
    assert "ap-lib-3f" not in other.get("/").content.decode()
