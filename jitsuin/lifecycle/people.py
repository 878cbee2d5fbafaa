"""People in the directory: registered by staff, the CLI or SSO provisioning, kept up to date."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from jitsuin.audit.services import record
from jitsuin.lifecycle.errors import NotAllowed
from jitsuin.lifecycle.models import Person

# The directory fields an identity provider may keep up to date.
SYNCED_FIELDS = ("email", "name_en", "name_ja", "name_kana", "affiliation")
# What update_person may set: those and the language of the person's e-mails (the API).
UPDATABLE_FIELDS = (*SYNCED_FIELDS, "language")

# Hiragana ぁ..ゖ and the iteration marks ゝゞ sit 0x60 below their katakana in Unicode.
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in [*range(0x3041, 0x3097), 0x309D, 0x309E]}


def kana_reading(text: str) -> str:
    """A reading as stored and searched: NFKC (half-width ｶﾅ becomes カナ) in katakana, so
    たかはし, タカハシ and ﾀｶﾊｼ are one reading."""
    return unicodedata.normalize("NFKC", text).strip().translate(_HIRAGANA_TO_KATAKANA)


def add_person(
    uid: str,
    *,
    email: str,
    actor: str,
    name_en: str = "",
    name_ja: str = "",
    name_kana: str = "",
    affiliation: str = "",
    language: str = "ja",
) -> Person:
    """Register a person (directory sync, the CLI, staff); refuses a uid that exists."""
    if not uid or not email:
        raise NotAllowed(_("A person needs a user id and an e-mail address."), code="incomplete")
    with transaction.atomic():
        if Person.objects.filter(uid=uid).exists():
            raise NotAllowed(_("A person with this user id exists already."), code="exists")
        person = Person.objects.create(
            uid=uid,
            email=email,
            name_en=name_en,
            name_ja=name_ja,
            name_kana=kana_reading(name_kana),
            affiliation=affiliation,
            language=language,
        )
        record(
            "person.added",
            actor=actor,
            obj=person,
            data={"uid": uid, "email": email, "affiliation": affiliation},
        )
        return person


def update_person(person: Person, *, actor: str, **values: str) -> list[str]:
    """Set the given directory fields where the new value is non-empty and differs; audit the
    change (``person.updated``). Returns the names of the fields that changed."""
    unknown = set(values) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"not a directory field: {', '.join(sorted(unknown))}")
    if values.get("language") and values["language"] not in dict(settings.LANGUAGES):
        raise ValueError(f"not a language: {values['language']!r}")
    if "name_kana" in values:
        values["name_kana"] = kana_reading(values["name_kana"])
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        changed = [
            name for name, value in values.items() if value and getattr(person, name) != value
        ]
        if not changed:
            return []
        for name in changed:
            setattr(person, name, values[name])
        person.save(update_fields=changed)
        record(
            "person.updated",
            actor=actor,
            obj=person,
            data={name: values[name] for name in changed},
        )
        return changed
