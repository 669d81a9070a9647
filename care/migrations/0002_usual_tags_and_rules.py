"""The usual care and attention tags with their visit rules (a month is 30 days; see
care.models). A tag that already exists under the same name keeps its kind and gets the
rule; a tag that already has a rule keeps it."""

from django.db import migrations

# (name, kind, days between visits or None for "as the station decides", visibility)
USUAL = [
    ("独居老人", "care", 7, "grid"),
    ("留守儿童", "care", 30, "grid"),
    ("低保户", "care", 30, "grid"),
    ("残疾人", "care", 30, "grid"),
    ("刑满释放人员", "attention", 30, "station"),
    ("吸毒人员", "attention", 30, "station"),
    ("严重精神障碍患者", "attention", None, "station"),
]


def add_usual_tags(apps, schema_editor):
    Tag = apps.get_model("grids", "Tag")
    VisitRule = apps.get_model("care", "VisitRule")
    for name, kind, days, visibility in USUAL:
        tag, _created = Tag.objects.get_or_create(name=name, defaults={"kind": kind})
        VisitRule.objects.get_or_create(
            tag=tag, defaults={"interval_days": days, "visibility": visibility}
        )


class Migration(migrations.Migration):
    dependencies = [("care", "0001_visits_and_rules")]

    operations = [migrations.RunPython(add_usual_tags, migrations.RunPython.noop)]
