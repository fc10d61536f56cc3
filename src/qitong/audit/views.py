"""审计日志: the auditor searches the trail and exports what the search found (.xlsx)."""

import json

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qitong.audit import chain
from qitong.audit.access import visible_records
from qitong.audit.filters import RecordFilter
from qitong.core import clock, exports
from qitong.core.pages import paginate


def _filtered(request):
    chain.seal()  # the auditor sees every row committed until now
    records = visible_records(request.user)
    form = RecordFilter(request.GET or None)
    return form, form.apply(records)


@login_required
def records(request):
    form, found = _filtered(request)
    context = paginate(request, found.order_by("-seq"), default=50)
    context.update(title=_("审计日志"), form=form, query=request.GET.urlencode())
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "audit/records.html", context, status=status)


HEADERS = (
    gettext_lazy("序号"),
    gettext_lazy("时间"),
    gettext_lazy("用户名"),
    gettext_lazy("角色"),
    gettext_lazy("来源地址"),
    gettext_lazy("操作"),
    gettext_lazy("对象"),
    gettext_lazy("结果"),
    gettext_lazy("详情"),
    gettext_lazy("哈希"),
)


@login_required
def export(request):
    """The rows the search finds as a spreadsheet, the hash of each included."""
    form, found = _filtered(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(_("筛选条件有误，请修改后再导出。"))
    limit = exports.job_threshold()
    if found.count() > limit:
        return HttpResponseBadRequest(
            _("符合条件的记录超过 %(limit)d 条，请缩小日期范围后再导出。") % {"limit": limit}
        )
    actions = dict(found.model.Action.choices)
    outcomes = dict(found.model.Outcome.choices)
    rows = (
        [
            row.seq,
            row.at,
            row.username,
            row.role,
            row.address,
            str(actions.get(row.action, row.action)),
            row.target,
            str(outcomes.get(row.outcome, row.outcome)),
            json.dumps(row.detail, ensure_ascii=False),
            row.hash,
        ]
        for row in found.order_by("seq").iterator(chunk_size=2000)
    )
    stream, _count = exports.export_to_tempfile(
        title=_("审计日志"), headers=[str(header) for header in HEADERS], rows=rows
    )
    name = f"audit-{clock.local(clock.now()):%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        stream, as_attachment=True, filename=name, content_type=exports.CONTENT_TYPE
    )
