"""Key projects (重点项目) followed month by month: the "five ones" — one project, one
leader, one team, one plan, followed to the end.

Nothing here changes a project: ``qitong.projects.actions`` does (registry,
reports, problems), and ``qitong.projects.ranking`` closes each month (the
standings, the rankings, the warnings and the leaders' digest).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qitong.core.models import StoredFile

month_validator = RegexValidator(
    r"^\d{4}-(0[1-9]|1[0-2])$", _("月份应为 YYYY-MM 格式，如 2026-11。")
)


def month_field(label, **kwargs):
    """A calendar month as ``YYYY-MM`` text (``qitong.projects.months``)."""
    return models.CharField(label, max_length=7, validators=[month_validator], **kwargs)


def money_field(label, **kwargs):
    """An amount in 万元 (ten thousand yuan), to the hundred yuan."""
    return models.DecimalField(label, max_digits=12, decimal_places=2, **kwargs)


class Rules(models.Model):
    """How a month is judged and when warnings follow; one row, edited in the admin.

    A project's month is *ahead* when its cumulative investment reaches the
    plan's expected amount by at least ``ahead_margin`` percent more, *lagging*
    when it falls short by more than ``lagging_margin`` percent (or a milestone
    due by then is not reached), *no progress* when nothing was reported or the
    month added no investment, *normal* otherwise. A unit or district last in a
    month's ranking ``yellow_after`` months in a row gets a yellow warning,
    ``red_after`` a red one, ``talk_after`` a talk notice (约谈). A month is
    ranked on day ``close_day`` of the next month, once its reports are in.
    """

    ahead_margin = models.DecimalField(
        _("超前幅度（%）"), max_digits=5, decimal_places=2, default=Decimal(10)
    )
    lagging_margin = models.DecimalField(
        _("滞后幅度（%）"), max_digits=5, decimal_places=2, default=Decimal(10)
    )
    yellow_after = models.PositiveSmallIntegerField(_("黄色预警：连续排名末位月数"), default=2)
    red_after = models.PositiveSmallIntegerField(_("红色预警：连续排名末位月数"), default=3)
    talk_after = models.PositiveSmallIntegerField(_("约谈：连续排名末位月数"), default=4)
    close_day = models.PositiveSmallIntegerField(
        _("次月几日排名"), default=5, help_text=_("当月进展在次月该日零时前填报，随后排名、预警")
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("推进规则")
        verbose_name_plural = _("推进规则")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="rules_single_row")]

    def __str__(self):
        return str(_("推进规则"))

    def clean(self):
        for name in ("ahead_margin", "lagging_margin"):
            value = getattr(self, name)
            if value is None or not 0 <= value < 100:
                raise ValidationError({name: _("幅度应在 0 至 100 之间（不含 100）。")})
        counts = [self.yellow_after, self.red_after, self.talk_after]
        if any(value is None or value < 1 for value in counts) or not (
            counts[0] < counts[1] < counts[2]
        ):
            raise ValidationError(_("连续末位月数应为正数，且 黄色预警 < 红色预警 < 约谈。"))
        if self.close_day is None or not 1 <= self.close_day <= 28:
            raise ValidationError({"close_day": _("应在 1 至 28 之间。")})

    @classmethod
    def load(cls):
        row, _created = cls.objects.get_or_create(pk=1)
        return row

    def as_json(self):
        """The rules as text, as a month's close keeps the ones it applied."""
        return {
            field.name: str(getattr(self, field.name))
            for field in self._meta.fields
            if field.name not in ("id", "updated_at")
        }


class Project(models.Model):
    """A key investment project with its responsible leader, unit and team, and its plan."""

    class State(models.TextChoices):
        ACTIVE = "active", _("推进中")  # followed and ranked every month
        COMPLETED = "completed", _("已竣工")  # done; no more reports, kept on the board
        WITHDRAWN = "withdrawn", _("已撤销")  # dropped from the registry's follow-up

    name = models.CharField(_("项目名称"), max_length=100)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("项目单位（企业）"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    planned_investment = money_field(_("计划总投资（万元）"))
    district = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("所在区县"),
        on_delete=models.PROTECT,
        related_name="district_projects",
        limit_choices_to={"kind": "district"},
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任领导"),
        on_delete=models.PROTECT,
        related_name="led_projects",
        limit_choices_to={"role": "leader"},
    )
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("责任单位"),
        on_delete=models.PROTECT,
        related_name="projects",
        db_index=False,  # led by the (unit, state) index
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作专班"),
        related_name="project_teams",
        blank=True,
    )
    start_month = month_field(_("计划开始月份"))
    public = models.BooleanField(
        _("在公开进度牌展示"), default=True, help_text=_("公开进度牌只显示名称、区县、状态和进度")
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(_("登记时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        indexes = [
            models.Index(fields=["unit", "state"]),
            models.Index(fields=["state", "start_month"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_investment__gt=0), name="project_investment_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(state="active") | models.Q(finished_at__isnull=False),
                name="project_finished_has_time",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.state == self.State.ACTIVE


class Milestone(models.Model):
    """One node of a project's plan: by ``month``, ``investment`` (cumulative) is to be spent
    and the node reached (开工, 主体封顶, 设备安装, 竣工投产…)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("节点"), max_length=100)
    month = month_field(_("计划月份"))
    investment = money_field(_("计划累计投资（万元）"))
    reached_month = month_field(_("完成月份"), blank=True)
    reached_in = models.ForeignKey(
        "Progress",
        verbose_name=_("填报完成的月度进展"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="milestones_reached",
    )

    class Meta:
        ordering = ["month", "id"]
        verbose_name = _("计划节点")
        verbose_name_plural = _("计划节点")
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="milestone_unique_name"),
            models.CheckConstraint(
                condition=models.Q(investment__gte=0), name="milestone_investment_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.month} {self.name}"


class Progress(models.Model):
    """The responsible unit's report of one month: investment done, visible progress (形象进度),
    photos, and problems raised (each becomes an appeal once the office hands it on)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    month = month_field(_("月份"))
    investment = money_field(_("本月完成投资（万元）"))
    text = models.TextField(_("形象进度"), max_length=2000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("填报时间"))

    class Meta:
        ordering = ["-month"]
        verbose_name = _("月度进展")
        verbose_name_plural = _("月度进展")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="progress_one_per_month"),
            models.CheckConstraint(
                condition=models.Q(investment__gte=0), name="progress_investment_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.project_id} {self.month}"


def photo_path(instance, filename):
    progress = instance.progress
    return f"projects/{progress.project_id}/{progress.month}/{filename}"


class Photo(StoredFile):
    """A photo of a month's visible progress; its type is judged by content at upload."""

    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=300)


class Problem(models.Model):
    """A problem raised in a monthly report; the office in charge files it as an appeal
    (channel ``project``), which then runs the appeal loop."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="problems")
    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="problems")
    text = models.TextField(_("问题"), max_length=500)
    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_problem",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("转为诉求时间"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("项目问题")
        verbose_name_plural = _("项目问题")

    def __str__(self):
        return self.text[:50]

    @property
    def filed(self):
        return self.appeal_id is not None


class Standing(models.Model):
    """A project's month against its plan, as judged when the month was closed."""

    class Status(models.TextChoices):
        AHEAD = "ahead", _("超前")  # cumulative investment past the plan by the ahead margin
        NORMAL = "normal", _("正常")  # within the margins, milestones due reached
        LAGGING = "lagging", _("滞后")  # short by more than the margin, or a milestone missed
        NO_PROGRESS = "no_progress", _("无进展")  # nothing reported, or no investment added

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="standings")
    month = month_field(_("月份"))
    expected = money_field(_("计划累计投资（万元）"))
    done = money_field(_("累计完成投资（万元）"))
    status = models.CharField(_("推进情况"), max_length=12, choices=Status.choices)

    class Meta:
        ordering = ["month", "project_id"]
        verbose_name = _("月度推进情况")
        verbose_name_plural = _("月度推进情况")
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="standing_one_per_month")
        ]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self):
        return f"{self.project_id} {self.month} {self.status}"


class Kind(models.TextChoices):
    """Whom a ranking or a warning is about."""

    DISTRICT = "district", _("区县")  # the projects' district
    UNIT = "unit", _("责任单位")  # the projects' responsible unit


class Ranking(models.Model):
    """A district's or a responsible unit's place in a month, by investment done against plan."""

    month = month_field(_("月份"))
    kind = models.CharField(_("排名类别"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("名次"))
    rate = models.DecimalField(_("计划完成率（%）"), max_digits=9, decimal_places=2)
    projects = models.PositiveIntegerField(_("项目数"))
    expected = money_field(_("计划累计投资（万元）"))
    done = money_field(_("累计完成投资（万元）"))
    last = models.BooleanField(_("末位"), default=False)
    streak = models.PositiveSmallIntegerField(_("连续末位月数"), default=0)

    class Meta:
        ordering = ["month", "kind", "rank", "unit_id"]
        verbose_name = _("月度排名")
        verbose_name_plural = _("月度排名")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "unit"], name="ranking_one_per_month_and_unit"
            )
        ]

    def __str__(self):
        return f"{self.month} {self.kind} {self.rank}"


class Warning(models.Model):
    """A warning to a district or unit last in the ranking several months in a row."""

    class Level(models.TextChoices):
        YELLOW = "yellow", _("黄色预警")  # ``Rules.yellow_after`` months last in a row
        RED = "red", _("红色预警")  # ``Rules.red_after``
        TALK = "talk", _("约谈")  # ``Rules.talk_after``: the leader talks to its head

    month = month_field(_("月份"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        "orgs.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("预警级别"), max_length=10, choices=Level.choices)
    streak = models.PositiveSmallIntegerField(_("连续末位月数"))
    reason = models.TextField(_("原因"))
    created_at = models.DateTimeField(_("发出时间"))

    class Meta:
        ordering = ["-month", "kind", "unit_id"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "unit"], name="warning_one_per_month_and_unit"
            )
        ]

    def __str__(self):
        return f"{self.month} {self.unit_id} {self.level}"


class MonthClose(models.Model):
    """A month judged: its row is written with the standings, rankings, warnings and digests,
    in one transaction, so a month is closed exactly once however often the job runs."""

    month = month_field(_("月份"), unique=True)
    closed_at = models.DateTimeField(_("排名时间"))
    rules = models.JSONField(_("所用规则"), default=dict)
    projects = models.PositiveIntegerField(_("参与排名项目数"), default=0)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("月度排名记录")
        verbose_name_plural = _("月度排名记录")

    def __str__(self):
        return self.month


class Event(models.Model):
    """One line of a project's timeline; written only by ``qitong.projects.events``."""

    class Kind(models.TextChoices):
        CREATE = "create", _("登记项目")
        EDIT = "edit", _("修改项目")
        REPORT = "report", _("填报月度进展")
        FILE_PROBLEM = "file_problem", _("问题转为诉求")
        FINISH = "finish", _("项目结束")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("项目记录")
        verbose_name_plural = _("项目记录")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"
