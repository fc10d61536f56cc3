"""One filter for every search of the policy library: the library's page and the API.

``PolicyFilter`` is a form over the query string; ``query`` turns it into the index's
query (``policies.search``) for a user, starting from what the user may see. The page
shows the fields a reader uses; the API takes them all.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from qitong.core import search as text_search
from qitong.orgs.models import Region
from qitong.policies import search
from qitong.policies.models import Category, Level


def _all(choices):
    return [("", _("全部")), *choices]


class PolicyFilter(forms.Form):
    """The query string of a policy search, cleaned; ``query`` is what the index is asked."""

    q = forms.CharField(
        label=_("关键词"),
        required=False,
        max_length=100,
        help_text=_("标题、文号或正文中的词，空格分隔多个词（须都出现）"),
        widget=forms.TextInput(
            attrs={"type": "search", "size": 30, "placeholder": _("如：高新技术 补贴")}
        ),
    )
    category = forms.ChoiceField(
        label=_("政策类别"),
        required=False,
        choices=_all(Category.choices),
        help_text=_("政策类别代码，如 financing、technology"),
    )
    issuer = forms.CharField(
        label=_("发文机关"),
        required=False,
        max_length=200,
        help_text=_("发文机关名称中的词，如：科学技术委员会"),
    )
    since = forms.DateField(
        label=_("发布日期自"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("发布日期不早于（含），YYYY-MM-DD"),
    )
    level = forms.ChoiceField(
        label=_("层级"),
        required=False,
        choices=_all(Level.choices),
        help_text=_("national、provincial、city 或 district"),
    )
    region = forms.CharField(
        label=_("发布区划"),
        required=False,
        max_length=9,
        help_text=_("行政区划代码，含其下级区划，如 370100"),
    )

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if code and not Region.objects.filter(code=code).exists():
            raise ValidationError(_("行政区划 %(code)s 不存在。") % {"code": code})
        return code

    def clean_issuer(self):
        return self.cleaned_data["issuer"].strip()

    @property
    def words(self):
        """The search words, when the form is valid."""
        return self.cleaned_data.get("q", "").split() if self.is_valid() else []

    @property
    def searching(self):
        """Whether anything narrows the library (words or a filter)."""
        return self.is_valid() and any(self.cleaned_data.get(name) for name in self.fields)

    def query(self, user):
        """The index's query for ``user``: the filters given, within what ``user`` may see.

        An invalid form filters nothing (the caller shows or returns its errors).
        """
        data = self.cleaned_data if self.is_valid() else {}
        since = data.get("since")
        return text_search.Query(
            words=tuple(self.words),
            fields={"i": [data["issuer"]]} if data.get("issuer") else {},
            tags=search.tags(
                category=data.get("category", ""),
                level=data.get("level", ""),
                region=data.get("region", ""),
            ),
            without=search.hidden_tags(user),
            since=since.toordinal() if since else None,
        )

    def error_dict(self):
        """The errors as the API's ``fields``: {name: [messages]}."""
        return {
            field: [str(message) for message in errors] for field, errors in self.errors.items()
        }


def api_fields():
    """The filter's fields in the order the API documents them."""
    return PolicyFilter.base_fields
