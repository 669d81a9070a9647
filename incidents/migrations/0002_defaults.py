"""Defaults an administrator edits afterwards: the 2026 holiday schedule, the categories and
their time limits (working hours by urgency). Running it again changes nothing."""

import csv
import datetime
from pathlib import Path

from django.db import migrations

HOLIDAYS = Path(__file__).resolve().parent.parent / "data" / "cn-public-holidays-2026.csv"

# code, name, is_dispute, is_sensitive
CATEGORIES = [
    ("sanitation", "环境卫生", False, False),
    ("facility", "设施损坏", False, False),
    ("dispute", "矛盾纠纷", True, False),
    ("demand", "居民诉求", False, False),
    ("security", "治安隐患", False, False),
    ("population", "流动人口变动", False, False),
    ("petition", "信访", False, True),
    ("unstable", "不稳定信息", False, True),
    ("other", "其他", False, False),
]

# Working hours by urgency, and the categories that differ.
LIMITS = {"normal": 24, "urgent": 8, "critical": 4}
SPECIAL_LIMITS = {("petition", "normal"): 40}


def load_defaults(apps, schema_editor):
    CalendarDay = apps.get_model("incidents", "CalendarDay")
    Category = apps.get_model("incidents", "Category")
    TimeLimit = apps.get_model("incidents", "TimeLimit")

    with HOLIDAYS.open(encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            CalendarDay.objects.update_or_create(
                day=datetime.date.fromisoformat(row["date"]),
                defaults={"kind": row["kind"], "name": row["holiday_zh"] or row["holiday"]},
            )

    for code, name, is_dispute, is_sensitive in CATEGORIES:
        category, _ = Category.objects.get_or_create(
            code=code,
            defaults={"name": name, "is_dispute": is_dispute, "is_sensitive": is_sensitive},
        )
        for urgency, hours in LIMITS.items():
            TimeLimit.objects.get_or_create(
                category=category,
                urgency=urgency,
                defaults={"hours": SPECIAL_LIMITS.get((code, urgency), hours)},
            )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
