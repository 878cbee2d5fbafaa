# The reading of the Japanese name (katakana) joins the searched names. A generated column
# cannot be altered in place, so name_search is dropped and added again with the new
# expression; the database fills it for every existing row.

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lifecycle", "0008_person_name_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="name_kana",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RemoveField(
            model_name="person",
            name="name_search",
        ),
        migrations.AddField(
            model_name="person",
            name="name_search",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Replace(
                    django.db.models.functions.text.Replace(
                        django.db.models.functions.text.Lower(
                            django.db.models.functions.text.Concat(
                                "name_ja",
                                models.Value("|"),
                                "name_en",
                                models.Value("|"),
                                "name_kana",
                            )
                        ),
                        models.Value(" "),
                        models.Value(""),
                    ),
                    models.Value("\u3000"),
                    models.Value(""),
                ),
                output_field=models.CharField(max_length=602),
            ),
        ),
    ]
