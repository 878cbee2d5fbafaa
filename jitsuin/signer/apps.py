from django.apps import AppConfig


class SignerConfig(AppConfig):
    name = "jitsuin.signer"
    default_auto_field = "django.db.models.BigAutoField"
