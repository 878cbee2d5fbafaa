"""What a pre-flight check is called and what its outcome says, in the reader's language.

A check is stored as a code and its parameters (``Campaign.preflight``), never as a sentence,
so that the English console does not show the Japanese text of whoever ran it. Entries
stored before codes existed carry only ``reason``; they are shown as they were written.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jitsuin.authorities.models import AuthorityStatus

LABELS = {
    "new_intermediate_usable": gettext_noop("The new intermediate can issue"),
    "life_covers_profiles": gettext_noop("Its remaining life covers every profile"),
    "chain_published": gettext_noop("The chain is published"),
    "crls_fresh": gettext_noop("Every CRL in the chain is current"),
    "radius_canary": gettext_noop("RADIUS login with a canary certificate"),
    "radius_new_canary": gettext_noop("RADIUS accepts the new intermediate"),
    "radius_old_canary": gettext_noop("RADIUS still accepts the old intermediate"),
    "relying_parties_current": gettext_noop("Relying parties' agents keep up with the CRLs"),
    "relying_parties_loaded": gettext_noop(
        "Relying parties loaded the CRL that revokes the old intermediate"
    ),
}


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Marks a (singular, plural) pair for extraction (``jitsuin makemessages``); chosen later."""
    return singular, plural


# A pair is (singular, plural), chosen by ``days``.
MESSAGES: dict[str, str | tuple[str, str]] = {
    "not_intermediate": gettext_noop("%(ca)s is not an intermediate CA."),
    "bad_status": gettext_noop("%(ca)s is %(status)s."),
    "revoked_or_scheduled": gettext_noop("%(ca)s is revoked or scheduled for revocation."),
    "outside_validity": gettext_noop("%(ca)s is outside its validity period."),
    "can_issue": gettext_noop("%(ca)s can issue."),
    "life_short": ngettext_noop(
        "%(ca)s has %(days)d day left, less than the validity of: %(profiles)s.",
        "%(ca)s has %(days)d days left, less than the validity of: %(profiles)s.",
    ),
    "life_ok": ngettext_noop(
        "%(days)d day left covers every active profile's validity.",
        "%(days)d days left cover every active profile's validity.",
    ),
    "no_root": gettext_noop("The chain does not end at a root CA."),
    "parent_revoked": gettext_noop("%(ca)s is revoked."),
    "bad_signature": gettext_noop("%(child)s is not signed by %(parent)s."),
    "chain_ok": gettext_noop("Published at /ca/: %(chain)s."),
    "crl_missing": gettext_noop("%(ca)s has no published CRL"),
    "crl_stale": gettext_noop("the CRL of %(ca)s is stale since %(at)s"),
    "crl_future": gettext_noop("the CRL of %(ca)s is not yet valid"),
    "crls_ok": gettext_noop("Every CA in the chain has a current CRL."),
    "radius_not_configured": gettext_noop(
        "Skipped: no RADIUS server is configured (JITSUIN_PREFLIGHT_RADIUS), so no relying "
        "party was checked."
    ),
    "no_relying_parties": gettext_noop(
        "Skipped: no relying party's agent reports to jitsuin (jitsuin relying-party sync "
        "--report-token-file), so none was checked."
    ),
    "relying_parties_ok": gettext_noop("Every relying party holds the newest CRLs: %(names)s."),
    "relying_parties_behind": gettext_noop(
        "Behind, they may miss the revocation at the deadline: %(names)s (console: Relying "
        "parties)."
    ),
    "revocation_loaded": gettext_noop(
        "Every relying party loaded CRL %(number)s of %(ca)s or newer: %(names)s."
    ),
    "revocation_not_loaded": gettext_noop(
        "Not yet loaded CRL %(number)s of %(ca)s, so they still accept %(old)s: %(names)s."
    ),
    "revocation_not_published": gettext_noop(
        "No CRL of %(ca)s lists %(old)s yet: the worker publishes it after the revocation."
    ),
    "new_accepted": gettext_noop("A canary from %(ca)s logged in by EAP-TLS."),
    "new_refused": gettext_noop("A canary from %(ca)s was refused by RADIUS: %(detail)s."),
    "old_accepted": gettext_noop("A canary from %(ca)s is still accepted until the deadline."),
    "old_refused": gettext_noop(
        "A canary from %(ca)s is already refused before the deadline: %(detail)s."
    ),
}


# Why eapol_test gave no answer (radius.LoginResult.problem).
PROBLEMS = {
    "not_installed": gettext_noop("eapol_test is not installed"),
    "timed_out": gettext_noop("eapol_test timed out"),
    "exited": gettext_noop("eapol_test exited %(code)d"),
}


def label(name: str) -> str:
    """The check's name for a reader; an unknown identifier is shown as it is."""
    return _(LABELS[name]) if name in LABELS else name


def sentence(code: str, params: Mapping[str, object]) -> str:
    """One outcome in the active language; ``problems`` nests further outcomes."""
    if code == "problems":
        nested = params.get("problems")
        parts = [
            sentence(str(p.get("code", "")), p)
            for p in (nested if isinstance(nested, list) else [])
            if isinstance(p, dict)
        ]
        return "; ".join(parts) + "."
    template = MESSAGES.get(code)
    if template is None:
        return str(params.get("reason", code))
    values = dict(params)
    problem = str(values.get("problem") or "")
    if problem in PROBLEMS and not values.get("detail"):
        values["detail"] = _(PROBLEMS[problem]) % {"code": values.get("exit_code", 0)}
    if str(values.get("status", "")) in AuthorityStatus.values:
        values["status"] = AuthorityStatus(str(values["status"])).label
    try:
        if isinstance(template, tuple):
            days = values.get("days")
            return ngettext(*template, days if isinstance(days, int) else 2) % values
        return _(template) % values
    except (KeyError, TypeError, ValueError):
        return str(params.get("reason", code))
