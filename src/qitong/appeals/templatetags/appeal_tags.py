"""The appeal's own marks on a page: its status as a coloured tag."""

from django import template

from qitong.appeals.models import Appeal

register = template.Library()
S = Appeal.Status

# status → tag colour (RuoYi-style: default, primary, success, warning, danger, info)
STATUS_COLOURS = {
    S.SUBMITTED: "info",
    S.ACCEPTED: "primary",
    S.REJECTED: "default",
    S.DISPATCHED: "primary",
    S.IN_PROGRESS: "warning",
    S.PENDING_REVIEW: "info",
    S.PENDING_RATING: "info",
    S.ARCHIVED: "success",
}


@register.inclusion_tag("includes/status_tag.html")
def status_tag(appeal):
    return {
        "label": appeal.get_status_display(),
        "colour": STATUS_COLOURS.get(appeal.status, "default"),
    }
