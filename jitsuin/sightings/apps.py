"""Sightings: relying parties (FreeRADIUS through rlm_rest) report each login a certificate made."""

from django.apps import AppConfig


class SightingsConfig(AppConfig):
    name = "jitsuin.sightings"
    label = "sightings"
    default_auto_field = "django.db.models.BigAutoField"
