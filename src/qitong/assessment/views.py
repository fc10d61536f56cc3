"""The assessment's pages: the ranking, a unit's breakdown, the cases behind lost points, the
export, the weights and the bulletins. Each parses, goes through ``access``, asks ``scoring``
or ``actions``, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qitong.appeals.access import visible_appeals
from qitong.assessment import access, actions, bulletins, charts, periods, scoring, sheets, tasks
from qitong.assessment.forms import CasesForm, MonthForm, PeriodForm, WeightsForm
from qitong.assessment.models import Weights
from qitong.core import clock, jobs
from qitong.core.errors import Conflict
from qitong.core.exports import CONTENT_TYPE
from qitong.core.pages import paginate


def _period(request, at, form_class=PeriodForm):
    """``(form, period, status)``: the period asked for, or the running month with a 400."""
    form = form_class(request.GET if "period" in request.GET else None)
    period = None
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return form, period or periods.running_month(at), status


def _trend_rows(trend, codes):
    """Per unit of ``codes``: its monthly ``(month, score, rank)`` over the year, in order."""
    rows = {code: [] for code in codes}
    for month, assessment in trend:
        for result in assessment.for_units(codes):
            rows[result.unit].append((month, result.score, result.rank))
    return rows


@login_required
def ranking(request):
    units = access.visible_units(request.user)
    at = clock.now()
    form, period, status = _period(request, at)
    assessment = scoring.assess(period, at=at)
    codes = list(units.values_list("code", flat=True))
    results = assessment.for_units(codes)
    trend = scoring.year_trend(period, at=at)
    by_unit = _trend_rows(trend, codes)
    scored = [result for result in results if result.rank is not None]
    context = {
        "title": _("考核评价"),
        "form": form,
        "period": period,
        "assessment": assessment,
        "results": results,
        "items": scoring.ITEMS,
        "targets": scoring.TARGETS,
        "chart": charts.ranking_bars(
            [(result.name, result.score, result.rank) for result in scored],
            title=_("%(period)s各单位考核得分") % {"period": period.label},
            warn_below=90,
        )
        if scored
        else "",
        "trend_months": [month for month, _assessment in trend],
        "trend_table": [(result, by_unit[result.unit]) for result in results],
        "manages": access.manages(request.user),
    }
    return render(request, "assessment/ranking.html", context, status=status)


@login_required
def unit(request, code):
    unit = access.access_unit_for_user(request.user, code)
    at = clock.now()
    form, period, status = _period(request, at)
    assessment = scoring.assess(period, at=at)
    (result,) = assessment.for_units([unit.code])
    trend = [
        (month, month_assessment.for_units([unit.code])[0])
        for month, month_assessment in scoring.year_trend(period, at=at)
    ]
    context = {
        "title": unit.name,
        "breadcrumbs": [(_("考核评价"), f"{reverse('assessment')}?period={period.key}")],
        "form": form,
        "period": period,
        "assessment": assessment,
        "result": result,
        "trend": trend,
        "chart": charts.trend_line(
            [(month.short_label, month_result.score) for month, month_result in trend],
            title=_("%(unit)s %(year)s年各月考核得分") % {"unit": unit.name, "year": period.year},
        ),
    }
    return render(request, "assessment/unit.html", context, status=status)


@login_required
def cases(request):
    access.visible_units(request.user)  # 403 for whoever reads no scores
    at = clock.now()
    form = CasesForm(request.GET)
    if not form.is_valid():
        context = {"title": _("失分明细"), "form": form, "invalid": True}
        return render(request, "assessment/cases.html", context, status=400)
    unit = access.access_unit_for_user(request.user, form.cleaned_data["unit"])
    period = form.cleaned_data["period"] or periods.running_month(at)
    key = form.cleaned_data["item"]
    counted = scoring.lost_cases(period, unit, key, at=at)
    # A unit's lost cases of a year are a few thousand ids at most: fine for IN (...).
    appeals = (
        visible_appeals(request.user)
        .filter(pk__in=list(counted))
        .select_related("enterprise", "lead_unit")
        .order_by("-created_at", "-id")
    )
    listing = paginate(request, appeals)
    spec = scoring.LISTED[key]
    context = {
        "title": _("%(item)s失分明细") % {"item": spec.label},
        "breadcrumbs": [
            (_("考核评价"), f"{reverse('assessment')}?period={period.key}"),
            (unit.name, f"{reverse('assessment-unit', args=[unit.code])}?period={period.key}"),
        ],
        "form": form,
        "period": period,
        "unit": unit,
        "spec": spec,
        "count": sum(counted.values()),
        "distinct": len(counted),
        **listing,
    }
    return render(request, "assessment/cases.html", context)


@login_required
def export(request):
    units = access.visible_units(request.user)
    at = clock.now()
    form, period, status = _period(request, at)
    if status != 200:
        return HttpResponseBadRequest(" ".join(form.errors["period"]))
    assessment = scoring.assess(period, at=at)
    stream, _rows = sheets.write(
        assessment, assessment.for_units(units.values_list("code", flat=True))
    )
    name = _("考核排名-%(period)s.xlsx") % {"period": period.key}
    return FileResponse(stream, as_attachment=True, filename=name, content_type=CONTENT_TYPE)


@login_required
@require_http_methods(["GET", "POST"])
def weights(request):
    access.visible_units(request.user)  # 403 for whoever reads no scores
    manages = access.manages(request.user)
    form = WeightsForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        access.require_manager(request.user)
        if form.is_valid():
            try:
                actions.set_weights(
                    acting_user=request.user,
                    valid_from=form.cleaned_data["valid_from"],
                    weights=form.weights(),
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            except Conflict as conflict:
                form.add_error("valid_from", conflict.message)
            else:
                messages.success(request, _("考核权重已保存。"))
                return redirect("assessment-weights")
        status = 400
    context = {
        "title": _("考核权重"),
        "breadcrumbs": [(_("考核评价"), reverse("assessment"))],
        "form": form,
        "manages": manages,
        "history": Weights.objects.select_related("set_by"),
        "items": scoring.ITEMS,
        "defaults": Weights(),
    }
    return render(request, "assessment/weights.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_list(request):
    bulletins_seen = access.visible_bulletins(request.user)
    manages = access.manages(request.user)
    at = clock.now()
    form = MonthForm(
        request.POST if request.method == "POST" else None,
        initial={"month": periods.previous_month(at).key},
    )
    if request.method == "POST":
        access.require_manager(request.user)
        if form.is_valid():
            month = form.cleaned_data["month"]
            try:
                actions.check_buildable(month, at)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                job = tasks.start_build(month, user=request.user)
                return redirect(jobs.job_page_url(job))
    context = {
        "title": _("月度通报"),
        "form": form,
        "manages": manages,
        "bulletins": bulletins_seen.select_related("built_by", "published_by"),
    }
    return render(request, "assessment/bulletins.html", context, status=400 if form.errors else 200)


def _month(value):
    try:
        return periods.parse(value)
    except ValueError:
        raise Http404 from None


@login_required
@require_POST
def publish(request, month):
    month = _month(month)
    try:
        actions.publish_bulletin(month, acting_user=request.user)
    except Conflict as conflict:
        messages.error(request, conflict.message)
    else:
        messages.success(request, _("通报已发布，各单位将在站内消息中收到下载链接。"))
    return redirect("assessment-bulletins")


@login_required
def bulletin_file(request, month, kind):
    period = _month(month)
    bulletin = access.access_bulletin_for_user(request.user, period.start.date())
    stored = bulletin.pdf if kind == "pdf" else bulletin.xlsx
    pdf_name, xlsx_name = bulletins.file_names(period)
    return FileResponse(
        stored.open("rb"),
        as_attachment=kind != "pdf",
        filename=pdf_name if kind == "pdf" else xlsx_name,
        content_type="application/pdf" if kind == "pdf" else CONTENT_TYPE,
    )
