"""The seeds' survey form (Lin'an's 走访调查表, seed 002) and rhythm (seeds 001 and 002)."""

from django.db import migrations

QUESTIONS = [
    ("orders", "订单情况", "在手订单、新增订单、同比变化"),
    ("hiring", "招工用工", "用工缺口、招工难点"),
    ("talent", "人才需求", "急需的专业人才、引进困难"),
    ("automation", "机器换人", "自动化、智能化改造进展与计划"),
    ("financing", "融资情况", "融资需求、融资渠道、资金链情况"),
    ("upgrading", "技术改造", "技改项目、设备更新、研发投入"),
    ("suggestions", "意见建议", "对政府服务的意见和建议"),
]
# kind, check-in every … days, visit every … days (None: not owed)
RHYTHMS = [("leader", 30, 91), ("unit", 30, 91), ("town", None, 7)]


def seed(apps, schema_editor):
    Question = apps.get_model("visits", "Question")
    Rhythm = apps.get_model("visits", "Rhythm")
    for position, (code, text, hint) in enumerate(QUESTIONS, start=1):
        Question.objects.get_or_create(
            code=code, defaults={"text": text, "hint": hint, "position": position * 10}
        )
    for kind, checkin, visit in RHYTHMS:
        Rhythm.objects.get_or_create(
            kind=kind, defaults={"checkin_days": checkin, "visit_days": visit}
        )


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
