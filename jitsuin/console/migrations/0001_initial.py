from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ConsoleAccess",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("open_console", "Open the staff console"),
                    ("view_people", "Search people and see their whole history"),
                    ("act_on_requests", "Retry or cancel requests, revoke or issue on a user's behalf"),
                    ("grant_exceptions", "Grant rollover exceptions"),
                    ("resend_notifications", "Resend e-mail notifications"),
                    ("manage_notices", "Publish notices"),
                    ("manage_maintenance", "Schedule maintenance windows"),
                    ("view_audit", "Read and export the audit log"),
                    ("manage_authorities", "Manage the CA hierarchy"),
                ],
            },
        ),
    ]
