"""A campaign's body became the whole e-mail (campaigns/mailtext.py). A body stored before
was a paragraph that a fixed text wrapped; this puts that fixed text (in the placeholders'
spelling) around it, so such a campaign keeps sending what it sent before. Empty bodies stay
empty: they get the default text. Braces that would now read as placeholders are split."""

from django.db import migrations

WRAP = {
    "ja": """{{ name }} 様

クライアント証明書を発行している中間認証局が切り替わります。
{{ deadline }}に旧中間認証局（{{ old_ca }}）は失効し、
それが発行した証明書は有効期限にかかわらず、学内無線LAN・SSL-VPN・SSO などで使えなくなります。

%s

それまでにポータルで新しい証明書を発行し、証明書を使っているすべての端末・ブラウザに取り込んでください:
{{ link }}

新しい証明書（{{ new_ca }} が発行）を取り込むまで、今の証明書はそのまま使えます。
切り替えた後は、古い証明書と古い無線LANの設定を端末から削除してください（古い証明書で暗号化したメールを読むために必要な場合は、証明書だけ残してください）。
わからないことはヘルプデスク（{{ helpdesk }}）にお問い合わせください。
""",
    "en": """Dear {{ name }},

The intermediate CA that issues client certificates is being replaced.
On {{ deadline }} the old intermediate CA ({{ old_ca }}) will be revoked,
and every certificate it issued will stop working for campus Wi-Fi, SSL-VPN, SSO and other services, whatever its own expiry date.

%s

Before then, please issue a new certificate in the portal and install it on every device and browser that uses a certificate:
{{ link }}

Your current certificate keeps working until you have installed the new one (issued by {{ new_ca }}).
After switching, delete the old certificate and the old Wi-Fi settings from your devices (if you encrypted e-mail with the old certificate, keep the certificate itself to read that mail).
If you have questions, please contact the helpdesk ({{ helpdesk }}).
""",
}


def _plain(text):
    return text.replace("{{", "{ {").replace("{%", "{ %").replace("{#", "{ #")


def wrap_bodies(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    for campaign in Campaign.objects.all():
        changed = []
        for language in ("ja", "en"):
            body = getattr(campaign, f"body_{language}")
            if body.strip():
                setattr(campaign, f"body_{language}", WRAP[language] % _plain(body.strip()))
                changed.append(f"body_{language}")
            subject = getattr(campaign, f"subject_{language}")
            if _plain(subject) != subject:
                setattr(campaign, f"subject_{language}", _plain(subject))
                changed.append(f"subject_{language}")
        if changed:
            campaign.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_manual_reminder_rounds")]

    operations = [migrations.RunPython(wrap_bodies, migrations.RunPython.noop)]
