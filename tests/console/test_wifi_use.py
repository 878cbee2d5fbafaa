"""The person page shows, next to the OCSP sightings, each certificate's latest Wi-Fi login
that a relying party reported."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from jitsuin.sightings.services import record_sighting
from tests.notify import factories

pytestmark = pytest.mark.django_db


def test_the_person_page_shows_the_latest_wifi_login(helpdesk, ca_hierarchy):
    holder = factories.person("s2410001")
    certificate = factories.certificate(holder, at=timezone.now())
    url = reverse("console:person", args=[holder.pk])
    assert f'data-testid="wifi-{certificate.pk}"' not in helpdesk.get(url).content.decode()
    at = timezone.now()
    record_sighting(
        certificate,
        token_name="radius-1",
        nas_identifier="ap-lib-3f",
        nas_ip="10.1.2.3",
        result="accept",
        now=at,
    )
    shown = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    helpdesk.cookies["jitsuin_lang"] = "ja"
    assert f"Wi-Fi 最終利用: {shown}（ap-lib-3f）" in helpdesk.get(url).content.decode()
    helpdesk.cookies["jitsuin_lang"] = "en"
    assert f"Wi-Fi: last {shown} (ap-lib-3f)" in helpdesk.get(url).content.decode()
