"""The pages' forms: the period asked for, the cases behind a lost point, the weights, the
bulletin's month. Each parses; the rules stay in ``periods`` and ``actions``."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qitong.appeals import figures
from qitong.assessment import periods, scoring
from qitong.assessment.models import WEIGHT_FIELDS, Weights


def period_field(required=False):
    return forms.CharField(
        label=_("考核期间"),
        required=required,
        max_length=7,
        help_text=periods.HELP,
        widget=forms.TextInput(attrs={"placeholder": "2026-11 / 2026-Q4 / 2026", "size": 12}),
    )


class PeriodForm(forms.Form):
    period = period_field()

    def clean_period(self):
        value = self.cleaned_data["period"].strip()
        return periods.check(value) if value else None


class CasesForm(PeriodForm):
    unit = forms.CharField(label=_("单位"), max_length=40)
    item = forms.ChoiceField(
        label=_("考核项"), choices=[(key, spec.label) for key, spec in scoring.LISTED.items()]
    )


class MonthForm(forms.Form):
    """A month typed as YYYY-MM (the month picker's value)."""

    month = forms.CharField(
        label=_("月份"), max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        figures.check_month(value)
        return periods.parse(value)


class WeightsForm(forms.Form):
    """The weights from a month on; ``actions.set_weights`` checks them (each ≥ 0, sum 100)."""

    valid_from = forms.CharField(
        label=_("起始月份"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("从该月起按以下权重考核"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for item in scoring.ITEMS:
            self.fields[item.key] = forms.IntegerField(
                label=item.label,
                min_value=0,
                max_value=100,
                initial=Weights._meta.get_field(item.key).default,
                help_text=item.explain,
            )

    def clean_valid_from(self):
        value = self.cleaned_data["valid_from"].strip()
        try:
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("月份应为 YYYY-MM 格式，如 2026-11。")) from None

    def weights(self):
        return {name: self.cleaned_data[name] for name in WEIGHT_FIELDS}
