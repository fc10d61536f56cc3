"""Appeals (诉求) and everything that happens to them.

Nothing here changes an appeal's state: ``qitong.appeals.actions`` does, one
function per transition, each writing its ``Event``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core.models import StoredFile
from qitong.core.search import TextIndex


class Category(models.Model):
    """A node of the configurable category tree (e.g. 融资 → 贷款)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_policy = models.BooleanField(
        _("政策性问题"), default=False, help_text=_("政策性问题升级到顶时提交市政府常务会议研究")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")

    def __str__(self):
        return self.name


def _days(label, default):
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=Decimal(default))


class TimeLimits(models.Model):
    """The working-day limits a dispatch gets; one row, edited in the admin.

    The defaults are the contract's 1-3-15-30 (halved for key enterprises).
    A dispatch copies the limits in force onto the appeal (``Appeal.limits``),
    so changing them here affects later dispatches only.
    """

    contact_days = _days(_("联系企业（工作日）"), 1)
    reply_days = _days(_("答复企业（工作日）"), 3)
    resolve_days = _days(_("办结（工作日）"), 15)
    long_days = _days(_("疑难复杂或协调办理办结（工作日）"), 30)
    cap_days = _days(_("含延期最长（工作日）"), 30)
    co_unit_days = _days(_("协办单位（工作日）"), 10)
    key_factor = models.DecimalField(
        _("重点企业时限系数"), max_digits=3, decimal_places=2, default=Decimal("0.5")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = _("办理时限")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="time_limits_single_row")
        ]

    def __str__(self):
        return str(_("办理时限"))

    def clean(self):
        order = [
            self.contact_days,
            self.reply_days,
            self.resolve_days,
            self.long_days,
            self.cap_days,
        ]
        if any(value is None or value <= 0 for value in order) or order != sorted(order):
            raise ValidationError(
                _("时限应为正数，且 联系 ≤ 答复 ≤ 办结 ≤ 疑难复杂 ≤ 含延期最长。")
            )
        if self.co_unit_days is None or not 0 < self.co_unit_days <= self.long_days:
            raise ValidationError(
                {"co_unit_days": _("协办时限应大于 0 且不超过疑难复杂办结时限。")}
            )
        if self.key_factor is None or not 0 < self.key_factor <= 1:
            raise ValidationError({"key_factor": _("系数应大于 0 且不超过 1。")})

    @classmethod
    def load(cls):
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    def as_json(self):
        """Every limit (the decimal fields) as text, as ``Appeal.limits`` keeps them."""
        return {
            field.name: str(getattr(self, field.name))
            for field in self._meta.fields
            if isinstance(field, models.DecimalField)
        }


class EscalationStep(models.Model):
    """One rung of the escalation ladder: level 1, 2, … and who holds it."""

    level = models.PositiveSmallIntegerField(_("级别"), unique=True)
    title = models.CharField(_("名称"), max_length=50)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("对应单位"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("升级阶梯")
        verbose_name_plural = _("升级阶梯")

    def __str__(self):
        return f"{self.level} {self.title}"


class Appeal(models.Model):
    """An enterprise's request, problem, complaint or consultation, followed to its end."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待受理")  # filed, waiting for the service office
        ACCEPTED = "accepted", _("已受理")  # taken in, waiting to be dispatched (or returned)
        REJECTED = "rejected", _("不予受理")  # declined with a reason; closed
        DISPATCHED = "dispatched", _("已派单")  # with the lead unit, not yet signed
        IN_PROGRESS = "in_progress", _("办理中")  # signed (or handled directly by the office)
        PENDING_REVIEW = "pending_review", _("待审核")  # resolved, the office checks the result
        PENDING_RATING = "pending_rating", _("待评价")  # approved, the enterprise rates it
        ARCHIVED = "archived", _("已归档")  # closed for good

    OPEN_STATES = (
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.PENDING_REVIEW,
        Status.PENDING_RATING,
    )
    # With the service office, before dispatch: its triage screen applies.
    TRIAGE_STATES = (Status.SUBMITTED, Status.ACCEPTED)
    # With a unit, on the clock (unless suspended).
    HANDLING_STATES = (Status.DISPATCHED, Status.IN_PROGRESS)
    # The lead unit's work is done: the office reviews, the enterprise rates, or it is closed.
    DONE_STATES = (Status.PENDING_REVIEW, Status.PENDING_RATING, Status.ARCHIVED)
    # Deadlines are set and may move with the calendar.
    TIMED_STATES = (Status.DISPATCHED, Status.IN_PROGRESS, Status.PENDING_REVIEW)

    class Channel(models.TextChoices):
        WEB = "web", _("网站")
        MOBILE = "mobile", _("移动端")
        WECHAT = "wechat", _("微信")
        HOTLINE = "hotline12345", _("12345热线")
        VISIT = "visit", _("走访")
        PHONE = "phone", _("电话")
        MEETING = "meeting", _("座谈会")
        OPEN311 = "open311", _("Open311")
        PROJECT = "project", _("重点项目")  # a problem raised in a key project's progress report

    class Mode(models.TextChoices):
        DIRECT = "direct", _("直接办理")  # the office answers itself
        TRANSFER = "transfer", _("转交办理")  # one lead unit
        COORDINATED = "coordinated", _("协调办理")  # a lead unit plus co-units

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    number = models.CharField(_("编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("内容"), max_length=5000)
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("外部编号"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    major = models.BooleanField(_("重大事项"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    office = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("负责的服务企业办公室"),
        on_delete=models.PROTECT,
        related_name="office_appeals",
    )
    handling_mode = models.CharField(_("办理方式"), max_length=20, choices=Mode.choices, blank=True)
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("牵头单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_appeals",
        db_index=False,  # led by the (lead_unit, status) index below
    )
    complex = models.BooleanField(_("疑难复杂"), default=False)
    halved = models.BooleanField(_("时限减半"), default=False, help_text=_("派单时为重点企业"))
    limits = models.JSONField(_("派单时的办理时限"), default=dict, blank=True)
    extension_days = models.DecimalField(
        _("已批准延期（工作日）"), max_digits=5, decimal_places=2, default=0
    )
    suspended_days = models.DecimalField(
        _("已中止（工作日）"), max_digits=7, decimal_places=3, default=0
    )
    suspended_since = models.DateTimeField(_("中止开始"), null=True, blank=True)

    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    contact_due = models.DateTimeField(_("联系期限"), null=True, blank=True, db_index=True)
    reply_due = models.DateTimeField(_("答复期限"), null=True, blank=True, db_index=True)
    resolve_due = models.DateTimeField(_("办结期限"), null=True, blank=True, db_index=True)
    provisional = models.BooleanField(_("期限暂定"), default=False)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    result = models.TextField(_("办理结果"), blank=True)

    escalation_level = models.PositiveSmallIntegerField(_("升级级别"), default=0)
    # When the sweep must next look at the case for being overdue (its supervision,
    # its rise up the ladder); None while nothing can fall due. Never later than the
    # true instant: ``save`` lowers it to the earliest unmet deadline whenever the
    # deadlines, milestones or status change, and the sweep sets the exact next
    # rise after judging the case. So each minute's sweep reads only the due cases.
    escalation_due = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    last_urged_on = models.DateField(_("最近催办日期"), null=True, blank=True)
    redo_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    rating_process = models.CharField(
        _("过程评价"), max_length=20, choices=Rating.choices, blank=True
    )
    rating_result = models.CharField(
        _("结果评价"), max_length=20, choices=Rating.choices, blank=True
    )
    rating_comment = models.TextField(_("评价意见"), blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)

    created_at = models.DateTimeField(_("提交时间"))
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="appeal_unique_external_id_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "resolve_due"]),
            models.Index(fields=["lead_unit", "status"]),  # a unit's tabs
            models.Index(fields=["created_at", "id"]),  # newest first
            models.Index(fields=["enterprise", "category", "created_at"]),
            models.Index(fields=["category", "created_at"]),
            # The sweep's major cases: a few hundred of a million, found without a scan.
            models.Index(
                fields=["status"], condition=models.Q(major=True), name="appeal_major_status"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    # Each deadline column and the milestone that meets it, in the order of the clock.
    MILESTONES = (
        ("contact_due", "contacted_at"),
        ("reply_due", "replied_at"),
        ("resolve_due", "resolved_at"),
    )
    # What ``earliest_unmet_due`` reads; a save that writes any of them refreshes
    # ``escalation_due``.
    SWEEP_FIELDS = frozenset(
        ("status", "suspended_since", *(f for pair in MILESTONES for f in pair))
    )

    def save(self, *args, **kwargs):
        """Save, keeping ``escalation_due`` no later than the case can next fall due."""
        update_fields = kwargs.get("update_fields")
        if update_fields is None or self.SWEEP_FIELDS.intersection(update_fields):
            self.escalation_due = self.earliest_unmet_due()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "escalation_due"}
        super().save(*args, **kwargs)

    def earliest_unmet_due(self):
        """The earliest deadline not yet met while the case runs (with a unit, not suspended)."""
        if self.status not in self.HANDLING_STATES or self.suspended_since is not None:
            return None
        unmet = (getattr(self, due) for due, done in self.MILESTONES if getattr(self, done) is None)
        return min((due for due in unmet if due is not None), default=None)

    @property
    def searchable_text(self):
        """What ``TEXT_INDEX`` finds the case by: its number, title and content."""
        return f"{self.number} {self.title} {self.content}"

    @property
    def in_triage(self):
        return self.status in self.TRIAGE_STATES

    @property
    def is_open(self):
        return self.status in self.OPEN_STATES

    @property
    def unsatisfied(self):
        return self.rating_result == self.Rating.UNSATISFIED


# The full-text index of appeals (``core.search``), created by migration 0006.
TEXT_INDEX = TextIndex("appeals_appeal_text")


class Assignment(models.Model):
    """A unit's part in an appeal: lead, co-unit or the district office it was sent to.

    Rows stay after a return or a transfer, so a unit keeps seeing the cases it
    ever had ("now or before"); ``active`` says whether the part is current.
    """

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头单位")
        CO = "co", _("协办单位")
        OFFICE = "office", _("区县服务企业办公室")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,  # led by the (unit, role, active) index
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField()
    due_at = models.DateTimeField(_("协办期限"), null=True, blank=True, db_index=True)
    contributed_at = models.DateTimeField(_("协办完成时间"), null=True, blank=True)
    contribution = models.TextField(_("协办意见"), blank=True)

    class Meta:
        ordering = ["assigned_at", "id"]
        verbose_name = _("承办关系")
        verbose_name_plural = _("承办关系")
        indexes = [models.Index(fields=["unit", "role", "active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "unit", "role"],
                condition=models.Q(active=True),
                name="assignment_one_active_part_per_unit",
            )
        ]

    def __str__(self):
        return f"{self.appeal_id} {self.unit_id} {self.role}"


class Event(models.Model):
    """One line of an appeal's timeline; append-only, the audit trail of the case.

    ``action`` names what happened (``Kind``); ``data`` carries the facts the
    figures read, declared per kind in ``qitong.appeals.events``, which is the
    only writer of events.
    """

    class Kind(models.TextChoices):
        # Labels are the timeline's words for each kind.
        SUBMIT = "submit", _("提交诉求")
        ACCEPT = "accept", _("受理")
        REJECT = "reject", _("不予受理")
        DISPATCH = "dispatch", _("派单")  # to a lead unit, or the city office to a district office
        SIGN = "sign", _("签收")
        RETURN = "return", _("退回服务企业办公室")
        CONTACT = "contact", _("联系企业")
        REPLY = "reply", _("答复企业")
        CONTRIBUTE = "contribute", _("协办单位提交意见")
        EXTEND = "extend", _("申请延期")
        APPROVE_EXTENSION = "approve_extension", _("批准延期")
        DENY_EXTENSION = "deny_extension", _("不批准延期")
        SUSPEND = "suspend", _("申请中止")
        APPROVE_SUSPENSION = "approve_suspension", _("批准中止，暂停计时")
        DENY_SUSPENSION = "deny_suspension", _("不批准中止")
        RESUME = "resume", _("恢复办理，继续计时")
        RESOLVE = "resolve", _("办结")
        APPROVE = "approve", _("审核通过，请企业评价")
        REDO = "redo", _("退回重办")
        RATE = "rate", _("企业评价")
        ARCHIVE = "archive", _("归档")
        ATTACH = "attach", _("上传附件")
        SUPERVISE = "supervise", _("督办")  # by hand or by the sweep
        URGE = "urge", _("催办")  # by hand or by the sweep
        ESCALATE = "escalate", _("升级")  # one event per rung climbed
        RECOMPUTE_DEADLINES = "recompute_deadlines", _("工作日历调整，重新计算期限")
        RECATEGORIZE = "recategorize", _("调整分类")  # the office sets the case's category

    # Both foreign keys are led by the composite indexes of Meta.
    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    unit = models.ForeignKey(
        "orgs.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("动作涉及的单位"),
        db_index=False,
    )
    action = models.CharField(max_length=30, choices=Kind.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        indexes = [
            models.Index(fields=["appeal", "action", "at"]),  # a case's latest event of a kind
            models.Index(fields=["action", "at"]),  # a period's events of a kind
            models.Index(fields=["unit", "action", "at"]),  # what happened to a unit, and when
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class Supervision(models.Model):
    """A tracked order to get a case moving (督办), opened by a trigger or by hand."""

    class Trigger(models.TextChoices):
        MAJOR = "major", _("重大紧急事项")
        REPEATED = "repeated", _("反复或集中反映")
        NEAR_DEADLINE = "near_deadline", _("临近期限")
        OVERDUE = "overdue", _("超期")
        MANUAL = "manual", _("人工督办")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="supervisions")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    reason = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    urge_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "trigger"],
                condition=models.Q(closed_at__isnull=True),
                name="supervision_one_open_per_trigger",
            )
        ]

    def __str__(self):
        return f"{self.appeal_id} {self.get_trigger_display()}"


class Request(models.Model):
    """A lead unit's request the office decides: an extension or a suspension."""

    class Kind(models.TextChoices):
        EXTENSION = "extension", _("延期")
        SUSPENSION = "suspension", _("中止")

    class Decision(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        DENIED = "denied", _("未批准")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    working_days = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    reason = models.TextField()
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "kind"],
                condition=models.Q(decision="pending"),
                name="request_one_pending_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.appeal_id} {self.get_kind_display()} {self.get_decision_display()}"


def attachment_path(instance, filename):
    return f"appeals/{instance.appeal.created_at:%Y/%m}/{instance.appeal.number}/{filename}"


class Attachment(StoredFile):
    """A file attached to an appeal; its type is judged by content at upload."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]


class MonthFigures(models.Model):
    """Every unit's figures for one calendar month, as counted at ``computed_at``.

    Counting a province's month reads tens of thousands of events (seconds),
    so the cockpit reads these rows, which a periodic job keeps fresh
    (``figures.refresh_snapshots``); the lists of cases behind a figure are
    still recounted live.
    """

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    as_of = models.DateTimeField(_("判断在办状态的时刻"))
    computed_at = models.DateTimeField(_("统计时间"))
    units = models.JSONField(_("各单位指标"), default=dict)  # {unit code: {count: n}}

    class Meta:
        ordering = ["month"]
        verbose_name = _("月度指标快照")
        verbose_name_plural = _("月度指标快照")

    def __str__(self):
        return f"{self.month:%Y-%m}"
