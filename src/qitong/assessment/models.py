"""The units' assessment (考评): the weights the office sets, the monthly tallies the scores are
computed from, and the monthly bulletins (通报).

Nothing here computes a score: ``scoring`` does, from ``MonthTally`` rows that
``tally`` counts from the appeals' timeline (``appeals.figures``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from qitong.core import clock


def _weight(label, default):
    # Whole numbers: the office weighs items as 10, 15, 20 points, and a sum of whole
    # numbers is exactly 100 in both databases (a sum of decimals is not, in SQLite).
    return models.SmallIntegerField(
        label,
        default=default,
        validators=[
            MinValueValidator(0, _("权重不能为负数。")),
            MaxValueValidator(100, _("权重不能超过 100。")),
        ],
    )


# The weight of each score item, by the item's key (``scoring.ITEMS`` says how each is scored).
WEIGHT_FIELDS = (
    "contact_on_time",
    "reply_on_time",
    "resolve_on_time",
    "returned",
    "redo",
    "supervised",
    "process_satisfaction",
    "result_satisfaction",
    "visit_coverage",
    "project_progress",
)
TOTAL = 100


class Weights(models.Model):
    """The weights of the score items, in force from the month ``valid_from`` until a later row.

    A period is scored with the row in force on its first day, so the rows are
    the history of the rules: a row whose month has begun before the running
    one is never changed again (``clean``), and setting the weights again for
    a month that has a row replaces that row. Without any row the field
    defaults are in force. Each weight is a whole number, at least 0, and they add up to 100.
    """

    valid_from = models.DateField(_("起始月份"), unique=True, help_text=_("该月第一天"))
    contact_on_time = _weight(_("按时联系"), 10)
    reply_on_time = _weight(_("按时答复"), 10)
    resolve_on_time = _weight(_("按时办结"), 20)
    returned = _weight(_("转办退回"), 10)
    redo = _weight(_("回访重办"), 10)
    supervised = _weight(_("被督办"), 10)
    process_satisfaction = _weight(_("过程满意度"), 15)
    result_satisfaction = _weight(_("结果满意度"), 15)
    visit_coverage = _weight(_("走访覆盖"), 0)
    project_progress = _weight(_("项目推进"), 0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField(_("设置时间"), null=True, blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")
        constraints = [
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0}), name=f"weights_{name}_not_negative"
                )
                for name in WEIGHT_FIELDS
            ),
            models.CheckConstraint(
                condition=Exact(
                    sum((F(name) for name in WEIGHT_FIELDS[1:]), F(WEIGHT_FIELDS[0])), TOTAL
                ),
                name="weights_add_up_to_100",
            ),
        ]

    def __str__(self):
        return f"{self.valid_from:%Y-%m}"

    def as_dict(self):
        return {name: getattr(self, name) for name in WEIGHT_FIELDS}

    @property
    def total(self):
        return sum(getattr(self, name) or 0 for name in WEIGHT_FIELDS)

    def clean(self):
        errors = {}
        if self.valid_from is not None:
            if self.valid_from.day != 1:
                errors["valid_from"] = _("起始月份应为某月的第一天。")
            elif self.valid_from < first_of_running_month():
                errors["valid_from"] = _(
                    "已经过去的月份按当时的权重考核，不能再设置；请从本月或以后的月份起设置。"
                )
        if any(getattr(self, name) is None for name in WEIGHT_FIELDS):
            errors.setdefault("__all__", _("请填写每一项的权重。"))
        elif self.total != TOTAL:
            errors["__all__"] = _("各项权重之和应为 100，现为 %(total)s。") % {"total": self.total}
        if errors:
            raise ValidationError(errors)

    @property
    def locked(self):
        """In force since before the running month: past periods were scored with it."""
        return self.pk is not None and self.valid_from < first_of_running_month()


def first_of_running_month():
    return clock.local(clock.now()).date().replace(day=1)


class MonthTally(models.Model):
    """Every assessed unit's counts for one calendar month, as counted at ``computed_at``.

    ``appeals.figures``' counts of the month (received, on time, returned,
    redo, ratings…) and the assessment's own (cases supervised, and received
    and resolved on time split into general and special items, for the
    targets), in one pass over the month's timeline (``tally.count``). A
    period's score adds its months' rows; ``tally`` keeps them fresh.
    """

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    as_of = models.DateTimeField(_("判断在办状态的时刻"))
    computed_at = models.DateTimeField(_("统计时间"))
    units = models.JSONField(_("各单位计数"), default=dict)  # {unit code: {count: n}}

    class Meta:
        ordering = ["month"]
        verbose_name = _("月度考核计数")
        verbose_name_plural = _("月度考核计数")

    def __str__(self):
        return f"{self.month:%Y-%m}"


def bulletin_path(instance, filename):
    return f"bulletins/{instance.month:%Y-%m}/{filename}"


class Bulletin(models.Model):
    """A month's bulletin (通报): its PDF and spreadsheet in the default storage.

    Building a month again replaces its files (and who built it when), and
    keeps who published it when; publishing tells every assessed unit's staff
    through their inbox, with the link to download it.
    """

    month = models.DateField(_("月份"), unique=True, help_text=_("该月第一天"))
    pdf = models.FileField(_("PDF 文件"), upload_to=bulletin_path, max_length=200)
    xlsx = models.FileField(_("Excel 文件"), upload_to=bulletin_path, max_length=200)
    built_at = models.DateTimeField(_("生成时间"))
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("生成人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空：由定时任务生成"),
    )
    builds = models.PositiveIntegerField(_("生成次数"), default=1)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("月度通报")
        verbose_name_plural = _("月度通报")
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_by__isnull=False),
                name="bulletin_published_by_someone",
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m}"

    @property
    def published(self):
        return self.published_at is not None
