"""Move django-otp's TOTP devices (seed in clear hex) to SealedTOTPDevice, then delete them."""

from binascii import unhexlify

from django.db import migrations

from jitsuin.access.models import TOTP_KEY_PURPOSE, totp_key_binding
from jitsuin.sealing import seal

COPIED = (
    "user_id", "name", "confirmed", "throttling_failure_timestamp", "throttling_failure_count",
    "created_at", "last_used_at", "step", "t0", "digits", "tolerance", "drift", "last_t",
)


def seal_seeds(apps, schema_editor):
    clear = apps.get_model("otp_totp", "TOTPDevice")
    sealed = apps.get_model("access", "SealedTOTPDevice")
    for device in clear.objects.all().order_by("pk"):
        fields = {name: getattr(device, name) for name in COPIED}
        key = unhexlify(device.key.encode())
        moved = sealed.objects.create(
            sealed_key=seal(
                key, purpose=TOTP_KEY_PURPOSE, bound_to=totp_key_binding(device.user_id)
            ),
            **fields,
        )
        sealed.objects.filter(pk=moved.pk).update(created_at=device.created_at)  # not "now"
        device.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_sealed_totp_and_enrolment_codes"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    # One way: the clear seeds are gone afterwards.
    operations = [migrations.RunPython(seal_seeds, migrations.RunPython.noop)]
