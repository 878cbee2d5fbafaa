"""PeriodicJob and WorkerHeartbeat now belong to the jobs app (jobs 0001): lifecycle forgets
them in Django's model state only; their tables stay, under their old names."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('lifecycle', '0006_one_serial_spelling'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='PeriodicJob'),
                migrations.DeleteModel(name='WorkerHeartbeat'),
            ],
            database_operations=[],
        ),
    ]
