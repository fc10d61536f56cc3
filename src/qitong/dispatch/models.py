"""Smart dispatch: the keyword rules, what was suggested and what the office did, duplicates.

- ``KeywordRule``: words that point a new appeal to a category and a lead unit,
  edited by the admin; they suggest while the installation has too little
  history for a model (``suggest.MIN_EXAMPLES``);
- ``Suggestion``: the lead unit (and category) suggested for an appeal on the
  office's triage screen, and what came of it: accepted with one click, or
  corrected (the office dispatched to another unit; a click on a category
  changed the case's), which the next model learns with more weight;
- ``DuplicateLink``: an appeal the office linked as a duplicate of another (its
  primary): the primary is handled, the duplicate follows its result and is
  counted once in the figures.
"""

import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class KeywordRule(models.Model):
    """Words that suggest a category and a lead unit before the model has history."""

    keywords = models.TextField(
        _("关键词"),
        help_text=_("每行或用逗号、空格分隔一个词；诉求标题和内容中每出现一个词记一分。"),
    )
    category = models.ForeignKey(
        "appeals.Category",
        verbose_name=_("分类"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("牵头单位"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("分拨关键词规则")
        verbose_name_plural = _("分拨关键词规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=False) | Q(lead_unit__isnull=False),
                name="dispatch_rule_points_somewhere",
                violation_error_message=_("请至少选择分类或牵头单位之一。"),
            )
        ]

    def __str__(self):
        return " / ".join(str(part) for part in (self.category, self.lead_unit) if part)

    @property
    def words(self):
        return [word for word in re.split(r"[\s,，、;；]+", self.keywords) if word]


class Suggestion(models.Model):
    """What was suggested for one appeal, and what the office did with it."""

    class Source(models.TextChoices):
        MODEL = "model", _("模型")  # the trained model of the installation's history
        RULES = "rules", _("关键词规则")  # cold start: the admin's keyword rules

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待派单")  # shown, the case not yet dispatched
        ACCEPTED = "accepted", _("已采纳")  # dispatched to the suggested unit
        CORRECTED = "corrected", _("已纠正")  # dispatched to another unit: a lesson for the model

    appeal = models.OneToOneField(
        "appeals.Appeal", on_delete=models.CASCADE, related_name="dispatch_suggestion"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    lead_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("建议牵头单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    unit_confidence = models.FloatField(_("置信度"), default=0)
    category = models.ForeignKey(
        "appeals.Category",
        verbose_name=_("建议分类"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    category_confidence = models.FloatField(_("分类置信度"), default=0)
    suggested_at = models.DateTimeField(_("建议时间"))
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    chosen_unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("实际牵头单位"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    # The category: one click on a suggested one (``actions.accept_category``). Corrected
    # when the click changed the case's category, a lesson for the next category model.
    category_outcome = models.CharField(
        _("分类结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING
    )
    chosen_category = models.ForeignKey(
        "appeals.Category",
        verbose_name=_("采用的分类"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-suggested_at"]
        verbose_name = _("分拨建议")
        verbose_name_plural = _("分拨建议")
        indexes = [models.Index(fields=["outcome"], name="dispatch_suggestion_outcome")]

    def __str__(self):
        return f"{self.appeal_id} → {self.lead_unit}"


class DuplicateLink(models.Model):
    """``appeal`` repeats ``primary``: handled once, counted once."""

    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("重复诉求"),
        on_delete=models.CASCADE,
        related_name="duplicate_of",
    )
    primary = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("主诉求"),
        on_delete=models.CASCADE,
        related_name="duplicates",
    )
    score = models.FloatField(_("相似度"), default=0)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关联人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    linked_at = models.DateTimeField(_("关联时间"))

    class Meta:
        ordering = ["-linked_at"]
        verbose_name = _("重复诉求关联")
        verbose_name_plural = _("重复诉求关联")
        constraints = [
            models.CheckConstraint(
                condition=~Q(appeal=F("primary")), name="dispatch_duplicate_not_itself"
            )
        ]

    def __str__(self):
        return f"{self.appeal_id} → {self.primary_id}"
