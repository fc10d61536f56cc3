"""The policy library's page forms. They only parse: the rules of every value live in
``actions`` (``correct_policy`` names each bad field), so the page and any other caller
are refused in the same words."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qitong.enterprises.models import Enterprise, Qualification
from qitong.policies.actions import CORRECTABLE
from qitong.policies.models import Policy


class ListField(forms.Field):
    """Several values under one name (checkboxes): a list of strings, unchecked here."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, choices=(), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.choices = list(choices)
        self.widget.choices = self.choices

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        return [str(item).strip() for item in value if str(item).strip()]

    def has_changed(self, initial, data):
        return sorted(self.to_python(initial)) != sorted(self.to_python(data))


def _text(label, *, help_text="", **attrs):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
    )


def _day(label):
    return forms.CharField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _label(name):
    return Policy._meta.get_field(name).verbose_name


class CorrectionForm(forms.Form):
    """改正政策: every field staff may correct, shown with its current value.

    Only the fields whose value the form changed go to ``actions.correct_policy``
    (``changed``); ``handback`` lists the corrected fields staff hand back to the machine.
    """

    title = _text(_label("title"), size=60)
    issuer = _text(_label("issuer"), size=40)
    number = _text(_label("number"))
    written = _day(_label("written"))
    published = _day(_label("published"))
    level = forms.CharField(label=_label("level"), required=False, widget=forms.Select)
    region = _text(_label("region"), help_text=_("行政区划代码，如 370100（济南市）；留空为全国。"))
    category = forms.CharField(label=_label("category"), required=False, widget=forms.Select)
    valid_from = _day(_label("valid_from"))
    valid_until = _day(_label("valid_until"))
    industries = _text(
        _label("industries"),
        help_text=_("GB/T 4754 行业代码，可填门类或大类，多个用空格分隔，如 C I65；留空为不限。"),
    )
    sizes = ListField(label=_label("sizes"), choices=Enterprise.Size.choices)
    tiers = ListField(label=_label("tiers"), choices=Enterprise.Tier.choices)
    regions = _text(
        _label("regions"), help_text=_("企业须位于其中之一的区划代码，多个用空格分隔；留空为不限。")
    )
    qualifications = ListField(label=_label("qualifications"))
    interprets = _text(_label("interprets"), help_text=_("所解读政策的编号；留空为无。"))
    handback = ListField(label=_("交还机器"))

    def __init__(self, *args, policy, **kwargs):
        kwargs.setdefault("initial", self.current(policy))
        super().__init__(*args, **kwargs)
        self.fields["level"].widget.choices = [("", _("（未定）")), *Policy.Level.choices]
        self.fields["category"].widget.choices = [("", _("（未分类）")), *Policy.Category.choices]
        self.fields["qualifications"].widget.choices = [
            (row.code, row.name) for row in Qualification.objects.order_by("code")
        ]
        self.fields["handback"].widget.choices = [
            (name, _label(name)) for name in CORRECTABLE if name in policy.corrected
        ]

    @staticmethod
    def current(policy):
        """The policy's values as the form shows them."""
        day = lambda value: value.isoformat() if value else ""  # noqa: E731
        return {
            "title": policy.title,
            "issuer": policy.issuer,
            "number": policy.number,
            "written": day(policy.written),
            "published": day(policy.published),
            "level": policy.level,
            "region": policy.region.code if policy.region_id else "",
            "category": policy.category,
            "valid_from": day(policy.valid_from),
            "valid_until": day(policy.valid_until),
            "industries": " ".join(policy.industries),
            "sizes": list(policy.sizes),
            "tiers": list(policy.tiers),
            "regions": " ".join(region.code for region in policy.regions.order_by("code")),
            "qualifications": [row.code for row in policy.qualifications.order_by("code")],
            "interprets": str(policy.interprets_id or ""),
            "handback": [],
        }

    def changed(self):
        """{field: value} for the fields the form changed, as ``correct_policy`` takes them."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in CORRECTABLE}
