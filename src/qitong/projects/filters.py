"""One filter for every list of projects: the registry page, the API and the export.

It narrows what the caller may see (a queryset from ``access.visible_projects``),
never widens it; the export link is the page's own query.
"""

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qitong.orgs import scope
from qitong.orgs.models import Unit, User
from qitong.projects import ranking
from qitong.projects.models import Project, Standing


def _all():
    return [("", _("全部"))]


class ProjectFilter(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        help_text=_("项目名称或项目单位名称中的文字"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("项目或企业名称")}),
    )
    district = forms.ModelChoiceField(
        label=_("区县"),
        required=False,
        queryset=Unit.objects.filter(kind=Unit.Kind.DISTRICT, is_active=True),
        to_field_name="code",
        empty_label=_("全部"),
        help_text=_("区县政府的单位代码"),
    )
    unit = forms.ModelChoiceField(
        label=_("责任单位"),
        required=False,
        queryset=scope.handling_units().filter(is_active=True),
        to_field_name="code",
        empty_label=_("全部"),
        help_text=_("责任单位代码"),
    )
    leader = forms.ModelChoiceField(
        label=_("责任领导"),
        required=False,
        queryset=User.objects.filter(role=User.Role.LEADER),
        to_field_name="username",
        empty_label=_("全部"),
        help_text=_("责任领导的用户名"),
    )
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=_all() + list(Project.State.choices)
    )
    status = forms.ChoiceField(
        label=_("推进情况"),
        required=False,
        choices=_all() + list(Standing.Status.choices),
        help_text=_("最近排名月份的推进情况"),
    )

    def apply(self, projects):
        """``projects`` narrowed by every field given; an invalid form narrows nothing."""
        if not self.is_valid():
            return projects
        data = self.cleaned_data
        if data.get("q"):
            words = data["q"]
            projects = projects.filter(
                Q(name__icontains=words) | Q(enterprise__name__icontains=words)
            )
        for name in ("district", "unit", "leader"):
            if data.get(name):
                projects = projects.filter(**{name: data[name]})
        if data.get("state"):
            projects = projects.filter(state=data["state"])
        if data.get("status"):
            ranked = Standing.objects.filter(month=ranking.last_closed(), status=data["status"])
            projects = projects.filter(pk__in=ranked.values("project_id"))
        return projects

    def query(self):
        """The cleaned filters as a query string (for the export link)."""
        if not self.is_valid():
            return ""
        query = QueryDict(mutable=True)
        for name in self.fields:
            if self.data.get(name):
                query[name] = self.data.get(name)
        return query.urlencode()

    def error_dict(self):
        """The errors as the API's ``fields``: {name: [messages]}."""
        return {
            field: [str(message) for message in errors] for field, errors in self.errors.items()
        }


def api_fields():
    return ProjectFilter.base_fields
