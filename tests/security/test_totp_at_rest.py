"""Review note 12d: TOTP seeds are sealed under the KEK, never stored in the clear.

django-otp's TOTPDevice keeps the seed as hex in ``otp_totp_totpdevice.key``. jitsuin's device
keeps it AES-GCM-sealed (a key derived from the KEK, bound to the account); a data migration
moves existing clear seeds over.
"""

from __future__ import annotations

import importlib
from base64 import b32encode

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from jitsuin.access.models import SealedTOTPDevice
from jitsuin.sealing import SealError
from tests.staff_fixtures import otp_code, totp_device

pytestmark = pytest.mark.django_db


def _stored_columns(device_id: int) -> bytes:
    """Every column of the device's row as the database holds it."""
    table = SealedTOTPDevice._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [device_id])  # noqa: S608
        row = cursor.fetchone()
    return b"|".join(
        bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row
    )


def _spellings(seed: bytes) -> list[bytes]:
    return [seed, seed.hex().encode(), seed.hex().upper().encode(), b32encode(seed).rstrip(b"=")]


def test_the_stored_row_holds_no_clear_seed_and_codes_still_verify():
    user = get_user_model().objects.create_user(username="ca1")
    device = totp_device(user)
    seed = SealedTOTPDevice.objects.get(pk=device.pk).bin_key
    assert len(seed) == 20
    stored = _stored_columns(device.pk)
    assert not any(spelling in stored for spelling in _spellings(seed))
    assert match_token(user, otp_code(device)) == device


def test_a_seed_copied_into_another_accounts_row_does_not_open():
    users = get_user_model().objects
    mine = totp_device(users.create_user(username="attacker"))
    admin = totp_device(users.create_user(username="ca-admin"))
    SealedTOTPDevice.objects.filter(pk=admin.pk).update(sealed_key=bytes(mine.sealed_key))
    with pytest.raises(SealError):
        SealedTOTPDevice.objects.get(pk=admin.pk).bin_key  # noqa: B018


def test_the_migration_seals_existing_clear_seeds_and_removes_them():
    user = get_user_model().objects.create_user(username="hd")
    clear = TOTPDevice.objects.create(user=user, name="phone", confirmed=True, last_t=7)
    seed = clear.bin_key
    migration = importlib.import_module("jitsuin.access.migrations.0002_seal_existing_totp_seeds")

    migration.seal_seeds(apps, None)

    assert not TOTPDevice.objects.exists()
    moved = SealedTOTPDevice.objects.get(user=user)
    assert (moved.name, moved.confirmed, moved.last_t) == ("phone", True, 7)
    assert moved.bin_key == seed
    assert not any(spelling in _stored_columns(moved.pk) for spelling in _spellings(seed))
