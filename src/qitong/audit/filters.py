"""The one filter of the audit trail: the page and its export read the same form."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from qitong.audit.models import Record
from qitong.core.clock import SHANGHAI


class RecordFilter(forms.Form):
    start = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)
    address = forms.CharField(label=_("来源地址"), required=False, max_length=45)
    action = forms.ChoiceField(
        label=_("操作"), required=False, choices=[("", _("全部")), *Record.Action.choices]
    )
    outcome = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), *Record.Outcome.choices]
    )
    target = forms.CharField(label=_("对象包含"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        return data

    def apply(self, records):
        """``records`` narrowed to what the form asks (all of them when it is not valid)."""
        if not self.is_valid():
            return records
        data = self.cleaned_data
        if data.get("start"):
            records = records.filter(at__gte=_local_midnight(data["start"]))
        if data.get("end"):
            records = records.filter(at__lt=_local_midnight(data["end"] + dt.timedelta(days=1)))
        for name in ("username", "address", "action", "outcome"):
            if data.get(name):
                records = records.filter(**{name: data[name]})
        if data.get("target"):
            records = records.filter(target__contains=data["target"])
        return records


def _local_midnight(day):
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)
