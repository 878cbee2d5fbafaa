"""Console access beyond the per-role matrix (tests/security/test_permission_matrix.py):
without a second factor, what a refused action leaves behind, unknown ids, the role groups."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from jitsuin.audit.models import AuditEvent
from jitsuin.authorities.models import Authority
from jitsuin.authorities.services import create_intermediate
from jitsuin.console.roles import ROLE_PERMISSIONS, ensure_roles
from jitsuin.lifecycle.models import Request
from tests.notify import factories

pytestmark = pytest.mark.django_db


def test_staff_without_a_second_factor_can_neither_read_nor_act(helpdesk_without_otp, db):
    holder = factories.person()
    failed = factories.request(holder, at=timezone.now(), state="failed")
    page = helpdesk_without_otp.get(reverse("console:person", args=[holder.pk]))
    assert page.status_code == 302 and page["Location"].startswith(reverse("access:totp"))
    action = helpdesk_without_otp.post(
        reverse("console:retry", args=[failed.pk]), {"reason": "try again"}
    )
    assert action.status_code == 302 and action["Location"].startswith(reverse("access:totp"))
    failed.refresh_from_db()
    assert failed.state == "failed"
    assert (
        not AuditEvent.objects.filter(action__startswith="request.")
        .exclude(action__endswith="created")
        .exists()
    )


def test_helpdesk_cannot_manage_certificate_authorities(helpdesk, ca_admin, ca_hierarchy):
    pending = create_intermediate("Issuing CA G2")
    url = reverse("console:activate", args=[pending.pk])
    assert helpdesk.post(url).status_code == 403
    assert Authority.objects.get(pk=pending.pk).status == "pending"
    assert ca_admin.post(url).status_code == 302
    assert Authority.objects.get(pk=pending.pk).status == "active"
    assert AuditEvent.objects.filter(action="authority.activated", actor="staff:ca1").exists()


def test_operator_cannot_retry_requests(operator):
    holder = factories.person()
    failed = factories.request(holder, at=timezone.now(), state="failed")
    response = operator.post(reverse("console:retry", args=[failed.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert Request.objects.get(pk=failed.pk).state == "failed"


def test_unknown_ids_are_404(helpdesk):
    assert helpdesk.get(reverse("console:person", args=[999999])).status_code == 404
    assert (
        helpdesk.post(reverse("console:retry", args=[999999]), {"reason": "x"}).status_code == 404
    )


def test_roles_are_groups_with_exactly_their_permissions(db):
    groups = ensure_roles()
    for role, codenames in ROLE_PERMISSIONS.items():
        held = set(groups[role].permissions.values_list("codename", flat=True))
        assert held == set(codenames)
    assert "manage_authorities" not in ROLE_PERMISSIONS["helpdesk"]
    # Running it again changes nothing and records nothing new.
    before = AuditEvent.objects.count()
    ensure_roles()
    assert AuditEvent.objects.count() == before
    # A role someone widened by hand is put back, and that is recorded.
    groups["helpdesk"].permissions.add(Permission.objects.get(codename="manage_authorities"))
    ensure_roles()
    assert not groups["helpdesk"].permissions.filter(codename="manage_authorities").exists()
    assert AuditEvent.objects.filter(action="console.role_permissions").count() == 1
