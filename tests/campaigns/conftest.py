from __future__ import annotations

import pytest

from jitsuin.authorities.publishing.crl import publish_crl
from jitsuin.campaigns import services
from tests.campaigns import factories as f


@pytest.fixture
def scene(db):
    return f.scene()


@pytest.fixture
def published(scene):
    """Current CRLs for every CA shortly before the cut-off (as the scheduler would keep them)."""
    for authority in (scene.root, scene.old, scene.new):
        publish_crl(authority, now=f.CUTOFF - f.timedelta(hours=1))
    return scene


@pytest.fixture
def campaign(scene):
    return services.create_campaign(
        "g1-to-g2",
        old=[scene.old.name],
        new=scene.new.name,
        cutoff=f.CUTOFF,
        deadline=f.DEADLINE,
        actor="user:operator",
        reminder_days=[30, 14, 7, 1],
        texts={"subject_ja": "証明書の切り替え", "subject_en": "Certificate switchover"},
        now=f.CUTOFF - f.timedelta(days=7),
    )
