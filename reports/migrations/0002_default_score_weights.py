from django.db import migrations


def create_default_weights(apps, schema_editor):
    """The one row of weights, with the model's defaults."""
    ScoreWeights = apps.get_model("reports", "ScoreWeights")
    ScoreWeights.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_score_weights")]

    operations = [migrations.RunPython(create_default_weights, migrations.RunPython.noop)]
