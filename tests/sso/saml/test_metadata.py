"""Federation metadata: signed, fresh, fetched seldom, kept when the source fails."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jitsuin.sso.saml.metadata import MetadataCache, MetadataSource, MetadataUnavailable
from jitsuin.sso.saml.metadata_document import (
    MAX_REFRESH,
    MIN_REFRESH,
    MetadataDocument,
    MetadataRefused,
    check_metadata,
    next_refresh,
)
from tests.peers import require_tool
from tests.sso.saml.federation import EVIL, UNI, Idp, federation, key_pair, metadata_server


@pytest.fixture
def keys(tmp_path: Path):  # type: ignore[no-untyped-def]
    class Keys:
        federation = key_pair(tmp_path / "keys", "federation")
        stranger = key_pair(tmp_path / "keys", "stranger")
        uni = key_pair(tmp_path / "keys", "uni")

    return Keys


@pytest.fixture
def xmlsec1() -> str:
    return require_tool("xmlsec1")


def idps(keys) -> list[Idp]:  # type: ignore[no-untyped-def]
    return [
        Idp(UNI, keys.uni, (("example.ac.jp", False),)),
        Idp(EVIL, keys.uni, (("other-u.ac.jp", False),)),
    ]


def source_for(tmp_path: Path, url: str, cert: Path, xmlsec1: str, **kw) -> MetadataSource:  # type: ignore[no-untyped-def]
    return MetadataSource(store=tmp_path / "saml", url=url, cert=cert, xmlsec1=xmlsec1, **kw)


def test_metadata_signed_by_the_federation_key_verifies(keys, xmlsec1):
    signed = federation(idps(keys), signer=keys.federation)
    document = check_metadata(signed, cert=keys.federation.cert, xmlsec1=xmlsec1)
    assert document.idps == (UNI, EVIL)
    assert document.cache_duration == timedelta(hours=6)


def test_metadata_changed_after_signing_is_refused(keys, xmlsec1):
    signed = federation(idps(keys), signer=keys.federation)
    altered = signed.replace(b"other-u.ac.jp", b"example.ac.jp")
    with pytest.raises(MetadataRefused, match="does not verify"):
        check_metadata(altered, cert=keys.federation.cert, xmlsec1=xmlsec1)


def test_unsigned_metadata_is_refused_when_a_certificate_is_configured(keys, xmlsec1):
    with pytest.raises(MetadataRefused, match="not signed"):
        check_metadata(federation(idps(keys)), cert=keys.federation.cert, xmlsec1=xmlsec1)


def test_metadata_signed_by_another_key_is_refused(keys, xmlsec1):
    signed = federation(idps(keys), signer=keys.stranger)
    with pytest.raises(MetadataRefused, match="does not verify"):
        check_metadata(signed, cert=keys.federation.cert, xmlsec1=xmlsec1)


def test_an_entity_signed_inside_an_unsigned_aggregate_does_not_vouch_for_it(keys, xmlsec1):
    inner = federation(idps(keys)[:1], signer=keys.federation).decode()
    inner = inner[inner.index("<md:EntitiesDescriptor") :]
    wrapper = federation([Idp(EVIL, keys.uni, (("example.ac.jp", False),))]).decode()
    wrapped = wrapper.replace("</md:EntitiesDescriptor>", inner + "</md:EntitiesDescriptor>", 1)
    with pytest.raises(MetadataRefused, match="not signed at its root"):
        check_metadata(wrapped.encode(), cert=keys.federation.cert, xmlsec1=xmlsec1)


def test_metadata_past_its_valid_until_is_refused(keys, xmlsec1):
    expired = federation(
        idps(keys), signer=keys.federation, valid_until=datetime.now(UTC) - timedelta(minutes=1)
    )
    with pytest.raises(MetadataRefused, match="expired"):
        check_metadata(expired, cert=keys.federation.cert, xmlsec1=xmlsec1)


def test_metadata_with_a_dtd_is_refused(xmlsec1):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(MetadataRefused, match="DTD"):
        check_metadata(bomb, cert=None, xmlsec1=xmlsec1)


@pytest.mark.parametrize(
    ("cache_duration", "valid_for", "expected"),
    [
        (None, timedelta(days=10), timedelta(hours=6)),
        (timedelta(minutes=1), timedelta(days=10), MIN_REFRESH),
        (timedelta(days=7), timedelta(days=10), MAX_REFRESH),
        (timedelta(hours=6), timedelta(hours=2), timedelta(hours=1)),
    ],
)
def test_the_next_refresh_follows_cache_duration_and_valid_until_within_bounds(
    cache_duration, valid_for, expected
):
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    document = MetadataDocument(now + valid_for, cache_duration, (), True)
    assert next_refresh(document, now) - now == expected


def test_many_loads_download_the_metadata_once(tmp_path, keys, xmlsec1):
    with metadata_server(federation(idps(keys), signer=keys.federation)) as served:
        cache = MetadataCache(source_for(tmp_path, served.url, keys.federation.cert, xmlsec1))
        paths = {cache.current_path() for _ in range(50)}
        # A second process (a new cache object on the same store) uses the same copy.
        paths.add(MetadataCache(cache.source).current_path())
    assert served.gets == 1
    assert paths == {tmp_path / "saml" / "metadata.xml"}
    assert stat.S_IMODE((tmp_path / "saml" / "metadata.xml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "saml" / "metadata.json").stat().st_mode) == 0o600


def test_a_due_refresh_asks_again_with_the_etag_and_a_forced_one_downloads(tmp_path, keys, xmlsec1):
    with metadata_server(federation(idps(keys), signer=keys.federation)) as served:
        cache = MetadataCache(source_for(tmp_path, served.url, keys.federation.cert, xmlsec1))
        cache.current_path()
        later = datetime.now(UTC) + timedelta(hours=7)
        cache.current_path(now=later)
        not_modified = served.requests[-1].get("If-None-Match")
        served.body = federation(idps(keys)[:1], signer=keys.federation)
        result = cache.refresh(force=True)
    assert served.gets == 3
    assert not_modified
    assert result.ok and result.changed and result.idps == 1


def test_a_source_that_goes_down_keeps_the_last_good_copy(tmp_path, keys, xmlsec1, caplog):
    good = federation(idps(keys), signer=keys.federation)
    with metadata_server(good) as served:
        cache = MetadataCache(source_for(tmp_path, served.url, keys.federation.cert, xmlsec1))
        path = cache.current_path()
        served.status = 503
        with caplog.at_level(logging.WARNING, logger="jitsuin.sso.saml.metadata"):
            result = cache.refresh(force=True)
        assert not result.ok
        assert cache.current_path() == path  # no new try before the backoff
        assert served.gets == 2
    assert path.read_bytes() == good
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert "keeping the copy" in warnings[0].getMessage()
    assert result.next_refresh - datetime.now(UTC) > timedelta(minutes=4)


def test_a_bad_new_copy_does_not_replace_the_good_one(tmp_path, keys, xmlsec1):
    good = federation(idps(keys), signer=keys.federation)
    with metadata_server(good) as served:
        cache = MetadataCache(source_for(tmp_path, served.url, keys.federation.cert, xmlsec1))
        path = cache.current_path()
        served.body = good.replace(b"other-u.ac.jp", b"example.ac.jp")
        result = cache.refresh(force=True)
    assert not result.ok and "does not verify" in result.message
    assert path.read_bytes() == good


def test_metadata_above_the_size_limit_is_refused_before_parsing(tmp_path, keys, xmlsec1):
    with metadata_server(b"<" * 5000) as served:
        cache = MetadataCache(
            source_for(tmp_path, served.url, keys.federation.cert, xmlsec1, max_bytes=4096)
        )
        result = cache.refresh(force=True)
        with pytest.raises(MetadataUnavailable):
            cache.current_path()
    assert not result.ok and "4096" in result.message


def test_without_any_good_copy_the_metadata_is_unavailable(tmp_path, keys, xmlsec1):
    with metadata_server(federation(idps(keys))) as served:  # unsigned
        cache = MetadataCache(source_for(tmp_path, served.url, keys.federation.cert, xmlsec1))
        with pytest.raises(MetadataUnavailable, match="not signed"):
            cache.current_path()


def test_a_local_file_is_used_as_is_and_checked_when_a_certificate_is_set(tmp_path, keys, xmlsec1):
    from jitsuin.sso.saml.metadata import cache_for

    path = tmp_path / "federation.xml"
    path.write_bytes(federation(idps(keys), signer=keys.federation))
    plain = cache_for(MetadataSource(store=tmp_path / "saml", file=path, xmlsec1=xmlsec1))
    checked = cache_for(
        MetadataSource(
            store=tmp_path / "saml", file=path, cert=keys.federation.cert, xmlsec1=xmlsec1
        )
    )
    assert plain.current_path() == checked.current_path() == path
    path.write_bytes(federation(idps(keys)))  # replaced by an unsigned copy
    assert plain.current_path() == path
    with pytest.raises(MetadataUnavailable, match="not signed"):
        checked.current_path()
