"""Console-owned changes: notices and maintenance windows, each with its audit event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.lifecycle.errors import InvalidState, NotAllowed
from jitsuin.lifecycle.models import MaintenanceWindow
from jitsuin.notify.models import Notice

NOTICE_FIELDS = (
    "title_ja",
    "title_en",
    "body_ja",
    "body_en",
    "importance",
    "publish_at",
    "unpublish_at",
)
WINDOW_FIELDS = ("starts_at", "ends_at", "scope", "connector", "note_ja", "note_en")


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def save_notice(notice: Notice | None, *, actor: str, **fields: Any) -> Notice:
    """Publish a new notice, or change one; the audit event keeps the full text."""
    with transaction.atomic():
        created = notice is None
        if notice is None:
            notice = Notice(created_by=actor)
        else:
            notice = Notice.objects.select_for_update().get(pk=notice.pk)
        for name in NOTICE_FIELDS:
            if name in fields:
                setattr(notice, name, fields[name])
        notice.full_clean()
        notice.save()
        record(
            "notice.published" if created else "notice.changed",
            actor=actor,
            obj=notice,
            data=_snapshot(notice, NOTICE_FIELDS),
        )
        return notice


def withdraw_notice(notice: Notice, *, actor: str, now: datetime | None = None) -> Notice:
    """Stop showing a notice now (kept for the record)."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.unpublish_at is not None and notice.unpublish_at <= now:
            raise InvalidState(_("This notice is already withdrawn."))
        notice.unpublish_at = max(now, notice.publish_at + timedelta(seconds=1))
        notice.save(update_fields=["unpublish_at", "updated_at"])
        record("notice.withdrawn", actor=actor, obj=notice, data={"at": now.isoformat()})
        return notice


def schedule_maintenance(*, actor: str, reason: str = "", **fields: Any) -> MaintenanceWindow:
    """A maintenance window: requests made during it wait for its end (never refused)."""
    with transaction.atomic():
        window = MaintenanceWindow(
            created_by=actor, **{k: v for k, v in fields.items() if k in WINDOW_FIELDS}
        )
        if window.ends_at <= window.starts_at:
            raise NotAllowed(_("A maintenance window must end after it starts."))
        window.save()
        record(
            "maintenance.scheduled",
            actor=actor,
            obj=window,
            data=_snapshot(window, WINDOW_FIELDS) | {"reason": reason},
        )
        return window


def cancel_maintenance(
    window: MaintenanceWindow, *, actor: str, reason: str, now: datetime | None = None
) -> None:
    """Remove a window that has not started; end one in progress now."""
    now = now or timezone.now()
    if not reason:
        raise NotAllowed(_("Give a reason."), code="reason_required")
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        data = _snapshot(window, WINDOW_FIELDS) | {"reason": reason}
        if window.ends_at <= now:
            raise InvalidState(_("This maintenance window is already over."))
        if window.starts_at > now:
            record("maintenance.cancelled", actor=actor, obj=window, data=data)
            window.delete()
        else:
            window.ends_at = now
            window.save(update_fields=["ends_at"])
            record("maintenance.ended_early", actor=actor, obj=window, data=data)
