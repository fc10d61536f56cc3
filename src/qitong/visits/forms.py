"""The page forms of pairing, visits and batches: they parse, the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qitong.orgs import scope
from qitong.orgs.models import Unit, User
from qitong.visits.models import Batch, Question

# Empty difficulty rows the visit form offers.
DIFFICULTY_ROWS = 5


class VisitForm(forms.Form):
    """The survey form: the active questions, the difficulties, a note, the batch."""

    batch = forms.ModelChoiceField(
        label=_("走访批次"),
        queryset=Batch.objects.none(),
        required=False,
        empty_label=_("（不属于批次）"),
    )
    note = forms.CharField(
        label=_("其他情况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches
        self.questions = list(Question.objects.filter(is_active=True))
        for question in self.questions:
            self.fields[f"q_{question.code}"] = forms.CharField(
                label=question.text,
                help_text=question.hint,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for number in range(1, DIFFICULTY_ROWS + 1):
            self.fields[f"d{number}_text"] = forms.CharField(
                label=_("困难问题 %(n)d") % {"n": number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"d{number}_solved"] = forms.BooleanField(
                label=_("问题 %(n)d 已现场解决") % {"n": number}, required=False
            )
            self.fields[f"d{number}_solution"] = forms.CharField(
                label=_("问题 %(n)d 的解决情况") % {"n": number}, required=False
            )

    def question_fields(self):
        return [self[f"q_{question.code}"] for question in self.questions]

    def difficulty_rows(self):
        return [
            (self[f"d{n}_text"], self[f"d{n}_solved"], self[f"d{n}_solution"])
            for n in range(1, DIFFICULTY_ROWS + 1)
        ]

    def body(self):
        data = self.cleaned_data
        return {
            "answers": {q.code: data.get(f"q_{q.code}", "") for q in self.questions},
            "difficulties": [
                {
                    "text": data.get(f"d{n}_text", ""),
                    "solved": data.get(f"d{n}_solved", False),
                    "solution": data.get(f"d{n}_solution", ""),
                }
                for n in range(1, DIFFICULTY_ROWS + 1)
            ],
            "note": data.get("note", ""),
            "batch": data.get("batch"),
        }


class PlanForm(forms.Form):
    planned_on = forms.DateField(
        label=_("计划日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CheckInForm(forms.Form):
    note = forms.CharField(label=_("调度情况"), widget=forms.Textarea(attrs={"rows": 2}))


class PairingForm(forms.Form):
    """An office pairs an enterprise (by its USCC) with a unit or town, or a leader."""

    uscc = forms.CharField(label=_("企业统一社会信用代码"), max_length=18)
    unit = forms.ModelChoiceField(label=_("包联单位"), queryset=Unit.objects.none(), required=False)
    leader = forms.ModelChoiceField(
        label=_("包联领导"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, office, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Unit.objects.filter(scope.units_within_q(office), is_active=True)
            .exclude(kind__in=[Unit.Kind.LEADER, Unit.Kind.OFFICE])
            .order_by("kind", "code")
        )
        self.fields["leader"].queryset = User.objects.filter(
            role=User.Role.LEADER, is_active=True
        ).order_by("username")
        self.fields["leader"].label_from_instance = lambda u: u.get_full_name() or u.username


class BatchForm(forms.Form):
    """A batch over the office's enterprises: all of them, or the above-scale ones, or the paired."""

    SCOPES = [
        ("paired", _("有包联关系的企业")),
        ("above_scale", _("规上企业")),
        ("all", _("辖区全部企业")),
    ]
    name = forms.CharField(label=_("批次名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    covers = forms.ChoiceField(label=_("应走访企业"), choices=SCOPES, initial="paired")
