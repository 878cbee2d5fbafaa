"""PublishedCrl, PendingPublication and OcspResponse move from the revocation app to the
authorities app (its publishing engine). State only: the tables keep their names."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('authorities', '0001_initial'),
        ('revocation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='PendingPublication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('requested_at', models.DateTimeField()),
                        ('due_at', models.DateTimeField(db_index=True)),
                        ('changes', models.PositiveIntegerField(default=1)),
                        ('authority', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='pending_publication', to='authorities.authority')),
                    ],
                    options={
                        'db_table': 'revocation_pendingpublication',
                    },
                ),
                migrations.CreateModel(
                    name='OcspResponse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('serial', models.CharField(max_length=64)),
                        ('status', models.CharField(choices=[('good', 'Good'), ('revoked', 'Revoked'), ('unknown', 'Unknown')], max_length=10)),
                        ('der', models.BinaryField()),
                        ('this_update', models.DateTimeField()),
                        ('next_update', models.DateTimeField(db_index=True)),
                        ('issuer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ocsp_responses', to='authorities.authority')),
                    ],
                    options={
                        'db_table': 'revocation_ocspresponse',
                        'constraints': [models.UniqueConstraint(fields=('issuer', 'serial'), name='unique_ocsp_response')],
                    },
                ),
                migrations.CreateModel(
                    name='PublishedCrl',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.BigIntegerField()),
                        ('der', models.BinaryField()),
                        ('this_update', models.DateTimeField()),
                        ('next_update', models.DateTimeField(db_index=True)),
                        ('entries', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('authority', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='crls', to='authorities.authority')),
                    ],
                    options={
                        'db_table': 'revocation_publishedcrl',
                        'ordering': ['authority', '-number'],
                        'constraints': [models.UniqueConstraint(fields=('authority', 'number'), name='unique_crl_number')],
                    },
                ),
    
            ],
        ),
    ]
