"""Migration 0012 writes every stored certificate's serial in decimal too."""

from __future__ import annotations

import importlib
from datetime import datetime

from django.apps import apps

from jitsuin.lifecycle.models import Certificate
from jitsuin.workdays import JAPAN
from tests.notify import factories

T0 = datetime(2026, 1, 15, 10, 0, tzinfo=JAPAN)
migration = importlib.import_module("jitsuin.lifecycle.migrations.0012_certificate_serial_decimal")


def test_rows_stored_before_the_column_get_their_decimal_serial(ca_hierarchy):
    certificate = factories.certificate(factories.person(), at=T0)
    Certificate.objects.filter(pk=certificate.pk).update(serial_decimal="")

    migration.fill(apps, None)

    assert Certificate.objects.get(pk=certificate.pk).serial_decimal == str(
        certificate.serial_number.value
    )
