"""The sweep reads only the cases that are due.

``Appeal.escalation_due`` says when the sweep must next look at a case for
being overdue; it is filled here with each running case's earliest unmet
deadline (a lower bound: the first sweep after this migration judges the
overdue ones once and stores their exact next rise). A partial index finds
the major cases. ``Supervision.last_urged_on`` and its index were written and
never read: the daily urge is claimed on ``Appeal.last_urged_on``. And
``Event.action`` declares its kinds (``Event.Kind``), a change of choices only.
"""

from django.db import migrations, models

RUNNING = ("dispatched", "in_progress")
MILESTONES = (
    ("contact_due", "contacted_at"),
    ("reply_due", "replied_at"),
    ("resolve_due", "resolved_at"),
)

KINDS = [
    ("submit", "提交诉求"),
    ("accept", "受理"),
    ("reject", "不予受理"),
    ("dispatch", "派单"),
    ("sign", "签收"),
    ("return", "退回服务企业办公室"),
    ("contact", "联系企业"),
    ("reply", "答复企业"),
    ("contribute", "协办单位提交意见"),
    ("extend", "申请延期"),
    ("approve_extension", "批准延期"),
    ("deny_extension", "不批准延期"),
    ("suspend", "申请中止"),
    ("approve_suspension", "批准中止，暂停计时"),
    ("deny_suspension", "不批准中止"),
    ("resume", "恢复办理，继续计时"),
    ("resolve", "办结"),
    ("approve", "审核通过，请企业评价"),
    ("redo", "退回重办"),
    ("rate", "企业评价"),
    ("archive", "归档"),
    ("attach", "上传附件"),
    ("supervise", "督办"),
    ("urge", "催办"),
    ("escalate", "升级"),
    ("recompute_deadlines", "工作日历调整，重新计算期限"),
]


def fill_escalation_due(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    fields = ["pk"] + [name for pair in MILESTONES for name in pair]
    running = Appeal.objects.filter(status__in=RUNNING, suspended_since__isnull=True)
    changed = []
    for row in running.values(*fields).iterator(chunk_size=2000):
        due = min(
            (row[d] for d, done in MILESTONES if row[d] is not None and row[done] is None),
            default=None,
        )
        if due is not None:
            changed.append(Appeal(pk=row["pk"], escalation_due=due))
    Appeal.objects.bulk_update(changed, ["escalation_due"], batch_size=500)
    if schema_editor.connection.vendor == "postgresql":
        # Statistics for the new column now, not at autovacuum's leisure: without
        # them the planner takes "escalation_due <= now" for a third of the table
        # and scans it every minute instead of reading the index.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Appeal._meta.db_table}")


class Migration(migrations.Migration):
    dependencies = [("appeals", "0006_appeal_text_index")]

    operations = [
        migrations.RemoveIndex(model_name="supervision", name="appeals_sup_closed__2430e7_idx"),
        migrations.RemoveField(model_name="supervision", name="last_urged_on"),
        migrations.AddField(
            model_name="appeal",
            name="escalation_due",
            field=models.DateTimeField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="appeal",
            index=models.Index(
                condition=models.Q(("major", True)), fields=["status"], name="appeal_major_status"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="action",
            field=models.CharField(choices=KINDS, max_length=30),
        ),
        migrations.RunPython(fill_escalation_due, migrations.RunPython.noop, elidable=True),
    ]
