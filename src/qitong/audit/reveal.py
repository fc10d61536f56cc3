"""Revealing one masked personal number, with a stated reason, on the audit trail.

Lists, exports and pages show phones masked (``core.masking``). A person whose
role needs one record's number (the office handling a case, its lead unit, an
enterprise's pairers and offices: each app's access rule decides) opens the
reveal page of that record, states why, and is shown the number; the reveal is
a ``read_personal`` row naming the record, the field and the reason. Without a
reason nothing is shown and nothing recorded.
"""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from qitong.audit.trail import Action, record
from qitong.core import masking
from qitong.core.text import shows_anything

REASON_MAX = 200


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=REASON_MAX,
        help_text=_("例如：电话联系企业核实诉求情况。查看记录会写入审计日志。"),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not shows_anything(reason):
            raise forms.ValidationError(_("不能只含空白或不可见字符。"))
        return reason


def page(request, *, target, field, label, value, back_url, subject):
    """The reveal page of one number: the form (GET, or a POST without a reason: 400), or,
    once a reason is given, the number in full and its ``read_personal`` row."""
    form = RevealForm(request.POST if request.method == "POST" else None)
    shown = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            record(
                Action.READ_PERSONAL,
                target=target,
                detail={"field": field, "reason": form.cleaned_data["reason"], "reveal": True},
            )
            shown = value
        else:
            status = 400
    context = {
        "title": _("查看完整号码"),
        "subject": subject,
        "label": label,
        "masked": masking.mask_phone(value),
        "shown": shown,
        "form": form,
        "back_url": back_url,
    }
    return render(request, "audit/reveal.html", context, status=status)
