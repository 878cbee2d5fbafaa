"""The jobs app takes over PeriodicJob and WorkerHeartbeat from lifecycle: in Django's model
state only. Their tables stay as lifecycle made them (``db_table``); nothing is run on the
database."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('lifecycle', '0004_worker_heartbeat'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PeriodicJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('last_run_at', models.DateTimeField(blank=True, null=True)),
                        ('next_run_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                        ('runs', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'lifecycle_periodicjob',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkerHeartbeat',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('worker_id', models.CharField(max_length=64, unique=True)),
                        ('started_at', models.DateTimeField()),
                        ('seen_at', models.DateTimeField(db_index=True)),
                    ],
                    options={
                        'db_table': 'lifecycle_workerheartbeat',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
