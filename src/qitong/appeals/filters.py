"""One filter for every list of appeals: the office's queues, the unit's and the portal's lists, the API and the ledger.

``AppealFilter`` is a form over the query string. Each surface shows the
fields that make sense to its users (``SURFACES``); the API and the ledger
take them all, so the office's export link is simply the page's own query
and the ledger selects exactly the rows the table shows. Every condition is
written once, here: a queue, a stage, a unit's part, the filing dates, the
search words (``search``).

The filter narrows what the caller may see; it never widens it: callers pass
a queryset that already starts from ``access.visible_appeals`` (or one of the
unit's own roads in ``access``).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qitong.appeals import deadlines, search, sweep
from qitong.appeals.models import Appeal, Assignment, Category, Request
from qitong.core import clock
from qitong.core.workdays import WorkCalendar
from qitong.enterprises import uscc
from qitong.orgs import scope
from qitong.orgs.models import Unit

S = Appeal.Status


class Queue:
    """One card of the office's workbench: a key, a label and a colour."""

    def __init__(self, key, label, colour=""):
        self.key, self.label, self.colour = key, label, colour


QUEUES = (
    Queue("new", _("新诉求")),
    Queue("accepted", _("待派单")),
    Queue("near", _("临近期限"), "warning"),
    Queue("overdue", _("已超期"), "danger"),
    Queue("supervised", _("督办中"), "warning"),
    Queue("review", _("待审核")),
    Queue("unsatisfied", _("不满意"), "danger"),
    Queue("requests", _("待审批申请"), "warning"),
    Queue("all", _("全部诉求"), "success"),
)
QUEUE_BY_KEY = {queue.key: queue for queue in QUEUES}
DEFAULT_QUEUE = "new"


def queue_conditions(at, calendar, *, only=None):
    """Each queue's condition on appeals (but "all", which has none), as of ``at``.

    ``only`` names the one queue wanted, so the calendar is walked only when the
    near-deadline queue is among them.
    """
    # Pending requests are few: start from them, not from every case.
    pending_request = Request.objects.filter(decision=Request.Decision.PENDING).values("appeal_id")
    conditions = {
        "new": lambda: Q(status=S.SUBMITTED),
        "accepted": lambda: Q(status=S.ACCEPTED),
        "near": lambda: deadlines.near_deadline_q(at, calendar),  # the sweep's rule
        "overdue": lambda: deadlines.overdue_q(at),
        "supervised": sweep.under_supervision_q,  # whom the sweep urges
        "review": lambda: Q(status=S.PENDING_REVIEW),
        "unsatisfied": lambda: Q(status=S.PENDING_RATING, rating_result=Appeal.Rating.UNSATISFIED),
        "requests": lambda: Q(pk__in=pending_request, status=S.IN_PROGRESS),
    }
    return {key: make() for key, make in conditions.items() if only in (None, key)}


def queue_condition(key, at, calendar=None):
    """One queue's condition; the calendar is read only for the near-deadline queue."""
    if key == "near" and calendar is None:
        calendar = WorkCalendar()
    return queue_conditions(at, calendar, only=key)[key]


def queue_counts(appeals, conditions):
    """One indexed count per queue: one aggregate with a filter per queue reads every case."""
    counts = {key: appeals.filter(condition).count() for key, condition in conditions.items()}
    counts["all"] = appeals.count()
    return counts


# The enterprise's stages, in its own words: key → (label, which appeals).
STAGES = {
    "doing": (
        _("办理中"),
        Q(status__in=(S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.PENDING_REVIEW))
        | (Q(status=S.PENDING_RATING) & ~Q(rating_result="")),  # rated, the office closes it
    ),
    "rate": (_("待评价"), Q(status=S.PENDING_RATING, rating_result="")),
    "done": (_("已办结"), Q(status=S.ARCHIVED)),
    "rejected": (_("不予受理"), Q(status=S.REJECTED)),
}

# Which fields each surface shows, in order; the API and the ledger take every field.
SURFACES = {
    "office": ("q", "category", "lead_unit", "status", "submitted_from", "submitted_to"),
    "unit": ("q", "category", "status"),
    "portal": ("stage", "q"),
}
YES_NO = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _all(label):
    return [("", label)]


class AppealFilter(forms.Form):
    """The query string of a list of appeals, cleaned; ``apply`` narrows a queryset by it."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        help_text=_("编号、企业名称、统一社会信用代码或关键词，空格分隔多个词"),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "size": 30,
                "placeholder": _("编号、企业名称、信用代码或关键词"),
            }
        ),
    )
    queue = forms.ChoiceField(
        label=_("队列"),
        required=False,
        choices=[(queue.key, queue.label) for queue in QUEUES],
        help_text=_("服务企业办公室工作台的队列"),
    )
    stage = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=_all(_("全部")) + [(key, label) for key, (label, _q) in STAGES.items()],
        help_text=_("企业看到的办理阶段"),
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=_all(_("全部")) + list(S.choices)
    )
    category = forms.ModelChoiceField(
        label=_("分类"),
        required=False,
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("全部"),
        help_text=_("分类代码，含其下级分类"),
    )
    lead_unit = forms.ModelChoiceField(
        label=_("牵头单位"),
        required=False,
        queryset=scope.handling_units().filter(is_active=True),
        to_field_name="code",
        empty_label=_("全部"),
        help_text=_("单位代码：现由该单位牵头"),
    )
    unit = forms.CharField(
        label=_("承办单位"),
        required=False,
        max_length=40,
        help_text=_("单位代码：现由该单位牵头或协办"),
    )
    overdue = forms.CharField(
        label=_("超期"), required=False, max_length=5, help_text=_("true：已超期；false：未超期")
    )
    enterprise = forms.CharField(
        label=_("企业"), required=False, max_length=18, help_text=_("统一社会信用代码")
    )
    submitted_from = forms.DateField(
        label=_("提交日期从"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("提交日期不早于（含）"),
    )
    submitted_to = forms.DateField(
        label=_("至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("提交日期不晚于（含）"),
    )

    def __init__(self, data=None, *, user, surface=None, at=None, calendar=None, **kwargs):
        super().__init__(data, **kwargs)
        self.user, self.at, self.calendar = user, at or clock.now(), calendar
        if surface is not None:
            shown = SURFACES[surface]
            self.fields = {name: self.fields[name] for name in shown}
        if "lead_unit" in self.fields and scope.has_role(user, scope.Role.OFFICE):
            # A district office picks among its district's units.
            self.fields["lead_unit"].queryset = self.fields["lead_unit"].queryset.filter(
                scope.units_within_q(user.unit)
            )

    def clean(self):
        data = super().clean()
        try:
            search.check_filing_days(data.get("submitted_from"), data.get("submitted_to"))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field, messages)
        return data

    def clean_overdue(self):
        value = self.cleaned_data["overdue"].strip().lower()
        if value and value not in YES_NO:
            raise ValidationError(_("应为 true 或 false。"))
        return value

    @property
    def words(self):
        """The search words, when the form is valid."""
        return self.cleaned_data.get("q", "").split() if self.is_valid() else []

    @property
    def searching(self):
        return bool(self.words)

    def value(self, name):
        """A cleaned value, or None (an invalid form narrows nothing)."""
        return self.cleaned_data.get(name) or None if self.is_valid() else None

    def apply(self, appeals):
        """``appeals`` narrowed by every field given; an invalid form narrows nothing."""
        if not self.is_valid():
            return appeals
        value = self.value
        if value("queue") and value("queue") != "all":
            appeals = appeals.filter(queue_condition(value("queue"), self.at, self.calendar))
        if value("stage"):
            appeals = appeals.filter(STAGES[value("stage")][1])
        if value("status"):
            appeals = appeals.filter(status=value("status"))
        if value("category"):
            category = value("category")
            appeals = appeals.filter(Q(category=category) | Q(category__parent=category))
        if value("lead_unit"):
            appeals = appeals.filter(lead_unit=value("lead_unit"))
        if value("unit"):
            # A unit's active lead part is the case's lead unit (indexed); its other
            # active parts are few: one short list, not a lookup per case.
            code = value("unit")
            others = Assignment.objects.filter(unit__code=code, active=True).exclude(
                role=Assignment.Role.LEAD
            )
            # The lead unit by id from a subquery, not a join on its code: with the join
            # both databases read every case (2 s at a million); so, one index each side.
            lead = Unit.objects.filter(code=code).values("pk")
            appeals = appeals.filter(
                Q(lead_unit_id__in=lead) | Q(pk__in=others.values("appeal_id"))
            )
        if value("overdue"):
            late = deadlines.overdue_q(self.at)
            appeals = appeals.filter(late) if YES_NO[value("overdue")] else appeals.exclude(late)
        if value("enterprise"):
            appeals = appeals.filter(enterprise__uscc=uscc.normalize(value("enterprise")))
        appeals = search.submitted_between(appeals, value("submitted_from"), value("submitted_to"))
        for word in self.words:
            appeals = search.containing(appeals, word)
        return appeals

    def query(self):
        """The cleaned filters as a query string (for the export link): what the table shows."""
        if not self.is_valid():
            return ""
        query = QueryDict(mutable=True)
        for name in self.fields:
            if self.data.get(name):
                query.setlist(name, self.data.getlist(name))
        return query.urlencode()

    def error_dict(self):
        """The errors as the API's ``fields``: {name: [messages]}."""
        return {
            field: [str(message) for message in errors] for field, errors in self.errors.items()
        }


def api_fields():
    """The filter's fields in the order the API documents them."""
    return AppealFilter.base_fields
