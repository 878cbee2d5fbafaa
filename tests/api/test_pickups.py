import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.api.tokens import bearer
from tests.notify import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_a_pickup_shows_its_status_and_never_key_material(client, ca_hierarchy):
    holder = factories.person("s2410001")
    certificate = factories.issue(holder, at=timezone.now())
    pickup = certificate.pickup
    answer = client.get(f"/api/v1/pickups/{pickup.pk}", **bearer("certificates:read"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == "ready" and body["uid"] == "s2410001"
    assert body["certificate_serial"] == certificate.serial and body["download_count"] == 0
    assert set(body) == {
        "id",
        "uid",
        "certificate_serial",
        "state",
        "expires_at",
        "download_count",
        "first_downloaded_at",
        "last_downloaded_at",
        "destroyed_at",
    }
    text = answer.content.decode().lower()
    assert "pin" not in text and "pkcs12" not in text and "sealed" not in text


@pytest.mark.parametrize("pickup_id", ["999999", "0", "99999999999999999999999"])
def test_a_missing_pickup_is_a_typed_404_or_422(client, db, pickup_id):
    answer = client.get(f"/api/v1/pickups/{pickup_id}", **bearer("certificates:read"))
    assert answer.status_code in (404, 422)
    assert answer.json()["code"] in ("not_found", "invalid_request")
