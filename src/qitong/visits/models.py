"""Pairing, visits and visit batches: who looks after which enterprise, and what they found.

- ``Rhythm``: what each kind of pairer owes its enterprises (a check-in every so
  many days, a visit every so many days), edited by the admin;
- ``Pairing``: a leader, a unit (department or district) or a town assigned to
  an enterprise (包联 / 挂钩 / 结对), from a day until it is ended;
- ``CheckIn``: a pairer's periodic call on the enterprise's situation (调度);
- ``Question``: the survey form's questions (走访调查表), edited by the admin;
- ``Batch``: a visit campaign (Lin'an ran three) with the enterprises it must cover;
- ``Visit``: planned, then recorded with the form's answers and photos;
- ``Difficulty``: a problem the enterprise raised in a visit, solved on the spot
  or filed as an appeal (channel ``visit``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qitong.core.models import StoredFile


class Kind(models.TextChoices):
    """The kinds of pairer: each owes its own rhythm."""

    LEADER = "leader", _("市级领导")  # a leader in person
    UNIT = "unit", _("部门单位")  # a department or a district government
    TOWN = "town", _("镇街")  # a town or subdistrict


class Rhythm(models.Model):
    """What one kind of pairer owes each of its enterprises; empty: nothing of that."""

    kind = models.CharField(_("包联类型"), max_length=10, choices=Kind.choices, unique=True)
    checkin_days = models.PositiveSmallIntegerField(
        _("调度周期（天）"), null=True, blank=True, help_text=_("留空表示不要求定期调度。")
    )
    visit_days = models.PositiveSmallIntegerField(
        _("走访周期（天）"), null=True, blank=True, help_text=_("留空表示不要求定期走访。")
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("包联频次")
        verbose_name_plural = _("包联频次")
        constraints = [
            models.CheckConstraint(
                condition=(Q(checkin_days__isnull=True) | Q(checkin_days__gt=0))
                & (Q(visit_days__isnull=True) | Q(visit_days__gt=0)),
                name="visits_rhythm_positive",
            )
        ]

    def __str__(self):
        return self.get_kind_display()


class Pairing(models.Model):
    """A leader, unit or town assigned to look after an enterprise (one of ``leader``/``unit``)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="pairings",
    )
    kind = models.CharField(_("包联类型"), max_length=10, choices=Kind.choices)
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("包联单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("包联领导"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    started_at = models.DateTimeField(_("包联开始"))
    ended_at = models.DateTimeField(_("包联结束"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["enterprise_id", "kind", "id"]
        verbose_name = _("包联关系")
        verbose_name_plural = _("包联关系")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=True) & Q(leader__isnull=False))
                | (Q(unit__isnull=False) & Q(leader__isnull=True)),
                name="visits_pairing_one_pairer",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "unit"],
                condition=Q(ended_at__isnull=True, unit__isnull=False),
                name="visits_pairing_unit_once",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "leader"],
                condition=Q(ended_at__isnull=True, leader__isnull=False),
                name="visits_pairing_leader_once",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "ended_at"], name="visits_pairing_unit"),
            models.Index(fields=["leader", "ended_at"], name="visits_pairing_leader"),
        ]

    def __str__(self):
        return f"{self.pairer_name} → {self.enterprise}"

    @property
    def pairer_name(self):
        if self.leader_id:
            return self.leader.get_full_name() or self.leader.username
        return self.unit.name

    @property
    def is_active(self):
        return self.ended_at is None


class CheckIn(models.Model):
    """A pairer's periodic call on how the enterprise is doing (每月调度)."""

    pairing = models.ForeignKey(Pairing, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField(_("调度时间"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("调度人"), on_delete=models.PROTECT
    )
    note = models.TextField(_("调度情况"), max_length=1000)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("调度记录")
        verbose_name_plural = _("调度记录")
        indexes = [models.Index(fields=["pairing", "at"], name="visits_checkin_pairing")]

    def __str__(self):
        return f"{self.pairing_id} {self.at:%Y-%m-%d}"


class Question(models.Model):
    """One question of the visit survey form; the form asks the active ones in order."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    text = models.CharField(_("问题"), max_length=200)
    hint = models.CharField(_("填写提示"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("走访调查问题")
        verbose_name_plural = _("走访调查问题")

    def __str__(self):
        return self.text


class Batch(models.Model):
    """A visit campaign: the enterprises it must cover, between two days."""

    name = models.CharField(_("批次名称"), max_length=100, unique=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    enterprises = models.ManyToManyField(
        "enterprises.Enterprise", verbose_name=_("应走访企业"), related_name="visit_batches"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("走访批次")
        verbose_name_plural = _("走访批次")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="visits_batch_dates"
            )
        ]

    def __str__(self):
        return self.name


class Visit(models.Model):
    """An official's visit to an enterprise: planned, then recorded with the survey form."""

    class State(models.TextChoices):
        PLANNED = "planned", _("计划")  # planned for a day, not yet made
        DONE = "done", _("已走访")  # recorded with its answers
        CANCELLED = "cancelled", _("已取消")  # a plan dropped

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="visits",
    )
    pairing = models.ForeignKey(
        Pairing,
        verbose_name=_("包联关系"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    batch = models.ForeignKey(
        Batch,
        verbose_name=_("走访批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("走访人"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("走访单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    visited_at = models.DateTimeField(_("走访时间"), null=True, blank=True)
    answers = models.JSONField(_("调查内容"), default=dict, blank=True)
    note = models.TextField(_("备注"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        ordering = ["-visited_at", "-planned_on", "-id"]
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | Q(visited_at__isnull=False),
                name="visits_done_has_instant",
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "state"], name="visits_enterprise_state"),
            models.Index(fields=["batch", "state"], name="visits_batch_state"),
            models.Index(fields=["pairing", "state", "visited_at"], name="visits_pairing_done"),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.visited_at or self.planned_on}"


def photo_path(instance, filename):
    return f"visits/{instance.visit_id}/{filename}"


class Photo(StoredFile):
    """A photo taken in a visit; its type is judged by content at upload."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path, max_length=300)


class Difficulty(models.Model):
    """A difficulty raised in a visit: solved on the spot, or an appeal (channel ``visit``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待转诉求")  # raised by a visitor who may not file: the office files
        FILED = "filed", _("已转诉求")  # an appeal runs the loop for it
        SOLVED = "solved", _("现场解决")  # solved on the spot, with how

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="difficulties")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="visit_difficulties"
    )
    text = models.TextField(_("困难问题"), max_length=1000)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    solution = models.TextField(_("现场解决情况"), max_length=1000, blank=True)
    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("诉求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit_difficulty",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("走访困难问题")
        verbose_name_plural = _("走访困难问题")
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="filed") & Q(appeal__isnull=False))
                | (~Q(state="filed") & Q(appeal__isnull=True)),
                name="visits_difficulty_filed_has_appeal",
            )
        ]
        indexes = [models.Index(fields=["state"], name="visits_difficulty_state")]

    def __str__(self):
        return self.text[:40]
