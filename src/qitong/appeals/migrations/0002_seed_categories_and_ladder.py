"""Seed the category tree with the service areas named in the seeds, and the default ladder."""

from django.db import migrations

# code, name, parent code, is_policy
CATEGORIES = [
    ("factors", "生产要素保障", None, False),
    ("factors-land", "用地", "factors", False),
    ("factors-power", "用电", "factors", False),
    ("factors-water", "用水用气", "factors", False),
    ("factors-labour", "用工", "factors", False),
    ("financing", "融资", None, False),
    ("financing-loan", "贷款", "financing", False),
    ("financing-guarantee", "担保", "financing", False),
    ("financing-listing", "上市挂牌", "financing", False),
    ("monitoring", "运行监测", None, False),
    ("innovation", "科技创新", None, False),
    ("projects", "重大项目", None, False),
    ("projects-approval", "项目审批", "projects", False),
    ("upgrading", "转型升级", None, False),
    ("environment", "生态环境", None, False),
    ("talent", "人才引进", None, False),
    ("safety", "安全生产", None, False),
    ("startup", "创业扶持", None, False),
    ("business-env", "营商环境", None, False),
    ("business-env-permits", "审批服务", "business-env", False),
    ("business-env-tax", "税费", "business-env", False),
    ("policy", "政策咨询与兑现", None, True),
    ("other", "其他", None, False),
]
LADDER = [
    (1, "服务企业办公室"),
    (2, "分管副秘书长"),
    (3, "分管副市长"),
    (4, "市长"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("appeals", "Category")
    EscalationStep = apps.get_model("appeals", "EscalationStep")
    created = {}
    for code, name, parent, is_policy in CATEGORIES:
        created[code] = Category.objects.get_or_create(
            code=code, defaults={"name": name, "parent": created.get(parent), "is_policy": is_policy}
        )[0]
    for level, title in LADDER:
        EscalationStep.objects.get_or_create(level=level, defaults={"title": title})


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
