"""PublishedCrl, PendingPublication and OcspResponse now belong to the authorities app
(authorities 0002). State only: the tables stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('revocation', '0001_initial'),
        ('authorities', '0002_publishing_models'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='PendingPublication'),
                migrations.DeleteModel(name='OcspResponse'),
                migrations.DeleteModel(name='PublishedCrl'),
            ],
        ),
    ]
