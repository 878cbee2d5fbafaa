from django.apps import AppConfig


class RevocationConfig(AppConfig):
    name = "jitsuin.revocation"
    label = "revocation"
    default_auto_field = "django.db.models.BigAutoField"
