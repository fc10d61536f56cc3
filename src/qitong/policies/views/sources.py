"""The keepers' view of the crawler: every source with its health, and the record of the runs.

The library's keepers (``access.keeps_library``: service offices and admins)
see which sources fail, back off or were flagged after five failures in a
row, enable or disable a source (``actions.enable_source``/``disable_source``,
which check the actor themselves), and read each run's counts and its
per-source report. Everyone else gets 403, as on the office's workbench.

Each list page costs what it shows: the sources' page counts the policies
read through the sources of its page only, and the runs' page never reads a
run's report (one entry per source) until that run is opened.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qitong.core import clock
from qitong.core.feedback import back
from qitong.core.pages import paginate
from qitong.policies import access, actions
from qitong.policies.models import CrawlRun, Page, PolicySource


def _keepers_only(user):
    if not access.keeps_library(user):
        raise PermissionDenied


# --- the sources ---------------------------------------------------------------------------


class SourceFilter(forms.Form):
    flagged = forms.BooleanField(label=gettext_lazy("只看需人工检查的来源"), required=False)


@login_required
def sources(request):
    """政策来源: each source's health, the flagged ones first and highlighted."""
    _keepers_only(request.user)
    now = clock.now()
    form = SourceFilter(request.GET or None)
    shown = PolicySource.objects.order_by("-flagged", "id")
    if form.is_valid() and form.cleaned_data["flagged"]:
        shown = shown.filter(flagged=True)
    counts = PolicySource.objects.aggregate(
        total=Count("pk"),
        running=Count("pk", filter=Q(enabled=True)),
        backing_off=Count("pk", filter=Q(enabled=True, backoff_until__gt=now)),
        to_check=Count("pk", filter=Q(flagged=True)),
    )
    context = paginate(request, shown)
    page = list(context["page"])
    policies = dict(
        Page.objects.filter(source__in=page, policy__isnull=False)
        .values("source")
        .annotate(count=Count("policy", distinct=True))
        .values_list("source", "count")
    )
    context.update(
        title=_("政策来源"),
        form=form,
        counts=counts,
        rows=[
            {
                "source": source,
                "policies": policies.get(source.pk, 0),
                "backing_off": source.backoff_until is not None and source.backoff_until > now,
            }
            for source in page
        ],
    )
    return render(request, "policies/sources.html", context)


# What each button on the sources' page does, and what it says when done.
SOURCE_ACTIONS = {
    "enable": (actions.enable_source, gettext_lazy("已启用来源“%(name)s”，暂停与标记已清除。")),
    "disable": (actions.disable_source, gettext_lazy("已停用来源“%(name)s”。")),
}


@login_required
@require_POST
def source_act(request, pk, name):
    """Enable or disable one source from the sources' page, then back to where it was."""
    _keepers_only(request.user)
    if name not in SOURCE_ACTIONS:
        raise Http404
    function, done = SOURCE_ACTIONS[name]
    try:
        source = function(pk, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _("；").join(exc.messages))
    else:
        messages.success(request, done % {"name": source.name})
    return back(request, "policy-sources")


# --- the runs ------------------------------------------------------------------------------


def _seconds(run):
    """How long the run took, or None while it runs (or if it died)."""
    if run.finished_at is None:
        return None
    return (run.finished_at - run.started_at).total_seconds()


@login_required
def runs(request):
    """抓取记录: the recent cycles, newest first, with their counts and how long each took."""
    _keepers_only(request.user)
    context = paginate(request, CrawlRun.objects.defer("report"))
    context.update(
        title=_("抓取记录"),
        rows=[{"run": run, "seconds": _seconds(run)} for run in context["page"]],
    )
    return render(request, "policies/runs.html", context)


class ReportFilter(forms.Form):
    errors = forms.BooleanField(label=gettext_lazy("只看有错误的来源"), required=False)


def report_rows(run, *, errors_only=False):
    """The run's per-source report: the sources with errors first, then the slowest."""
    rows = []
    for key, entry in run.report.items():
        row = {
            "source_id": int(key),
            "name": entry.get("name", ""),
            "skipped": bool(entry.get("skipped")),
            "seconds": entry.get("seconds"),
            "fetched": entry.get("fetched", 0),
            "new": entry.get("new", 0),
            "updated": entry.get("updated", 0),
            "duplicates": entry.get("duplicates", 0),
            "errors": entry.get("errors", []),
        }
        if errors_only and not row["errors"]:
            continue
        rows.append(row)
    rows.sort(key=lambda row: (not row["errors"], -(row["seconds"] or 0), row["source_id"]))
    return rows


@login_required
def run(request, pk):
    """One run: its counts, and per source its time, pages, policies and errors."""
    _keepers_only(request.user)
    crawl = get_object_or_404(CrawlRun, pk=pk)
    form = ReportFilter(request.GET or None)
    errors_only = form.is_valid() and form.cleaned_data["errors"]
    context = paginate(request, report_rows(crawl, errors_only=errors_only), default=50)
    context.update(
        title=_("抓取记录 %(started)s")
        % {"started": f"{clock.local(crawl.started_at):%Y-%m-%d %H:%M:%S}"},
        breadcrumbs=[(_("抓取记录"), reverse("policy-runs"))],
        run=crawl,
        seconds=_seconds(crawl),
        form=form,
    )
    return render(request, "policies/run.html", context)
