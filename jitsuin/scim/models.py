"""What SCIM knows of a person beyond the directory fields of :class:`Person`.

A person made by the CLI, single sign-on or the CSV import has no row here until an identity
manager first writes to them; the SCIM ``id`` is the person's primary key either way.
"""

from __future__ import annotations

from django.db import models

from jitsuin.lifecycle.models import Person


class ScimLink(models.Model):
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, primary_key=True, related_name="scim_link"
    )
    # The identity manager's own key for the person (Entra ID objectId, Okta id...).
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    # SCIM name parts: jitsuin keeps one romanised name (Person.name_en, SCIM name.formatted).
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    # The e-mail's type and primary flag as last sent (jitsuin keeps one address).
    email_type = models.CharField(max_length=20, blank=True)
    email_primary = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField()
    # A SCIM DELETE deactivates the person (who stays, with their certificates and audit
    # trail) and hides them from SCIM: RFC 7644 §3.6 answers 404 for them from then on.
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"scim {self.person_id}"
