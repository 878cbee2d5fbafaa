"""Relying parties in the console: which RADIUS and VPN servers hold the newest CRLs.

Everyone with a console role sees the list (the helpdesk answers "a revoked certificate still
gets on the Wi-Fi"); CA admins, who make the agents' tokens, may forget a decommissioned host.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jitsuin.authorities.models import RelyingParty
from jitsuin.authorities.publishing import relying_parties as parties
from jitsuin.console.access import console_view, staff_actor
from jitsuin.console.roles import API_TOKENS, RELYING_PARTIES


@require_GET
@console_view(RELYING_PARTIES)
def relying_parties(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = parties.states(now=now)
    rows.sort(key=lambda state: (state.ok, state.party.name))
    return render(
        request,
        "console/relying_parties.html",
        {
            "rows": rows,
            "now": now,
            "behind": sum(1 for r in rows if not r.ok),
            "grace_minutes": int(parties.timings().relying_party_grace.total_seconds() // 60),
        },
    )


@require_POST
@console_view(API_TOKENS)
def forget(request: HttpRequest, party_id: int) -> HttpResponse:
    party = get_object_or_404(RelyingParty, pk=party_id)
    parties.forget(party, actor=staff_actor(request), now=timezone.now())
    messages.success(
        request,
        _("%(name)s was removed from the list; it comes back with its next report.")
        % {"name": party.name},
    )
    return redirect("console:relying_parties")
