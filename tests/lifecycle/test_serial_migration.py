"""Migration 0006 stores every serial one way, so a lookup needs one exact match."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

from django.apps import apps

from jitsuin.authorities.models import Authority, OcspResponse
from jitsuin.authorities.services import issuing_authority
from jitsuin.lifecycle.models import Certificate
from jitsuin.pki.names import Serial
from jitsuin.workdays import JAPAN
from tests.notify import factories

T0 = datetime(2026, 1, 15, 10, 0, tzinfo=JAPAN)
migration = importlib.import_module("jitsuin.lifecycle.migrations.0006_one_serial_spelling")


def test_old_spellings_of_every_table_become_the_stored_one(ca_hierarchy):
    certificate = factories.certificate(factories.person(), at=T0)
    serial = certificate.serial_number
    issuer = issuing_authority()
    issuer_serial = Serial.parse(issuer.serial)
    # As authorities.services and older factories wrote them: upper case, even length.
    Authority.objects.filter(pk=issuer.pk).update(serial=issuer_serial.hex)
    Certificate.objects.filter(pk=certificate.pk).update(serial=serial.hex.lower())
    OcspResponse.objects.create(
        issuer=issuer,
        serial=serial.hex,
        status="good",
        der=b"",
        this_update=T0,
        next_update=T0 + timedelta(days=1),
    )

    migration.normalize(apps, None)

    assert Authority.objects.get(pk=issuer.pk).serial == issuer_serial.db
    assert Certificate.objects.get(pk=certificate.pk).serial == serial.db
    assert OcspResponse.objects.get().serial == serial.db
    assert Certificate.objects.filter(issuer=issuer, serial=serial.db).count() == 1
