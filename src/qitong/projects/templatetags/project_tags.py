"""A project's marks on a page: its month's status and a warning's level as coloured tags."""

from django import template

from qitong.projects.models import Standing, Warning

register = template.Library()

# status → tag colour (RuoYi-style: default, primary, success, warning, danger, info)
STATUS_COLOURS = {
    Standing.Status.AHEAD: "success",
    Standing.Status.NORMAL: "primary",
    Standing.Status.LAGGING: "warning",
    Standing.Status.NO_PROGRESS: "danger",
}
LEVEL_COLOURS = {
    Warning.Level.YELLOW: "warning",
    Warning.Level.RED: "danger",
    Warning.Level.TALK: "danger",
}
STATUS_LABELS = dict(Standing.Status.choices)


@register.inclusion_tag("includes/status_tag.html")
def standing_tag(status):
    """The tag of a ``Standing.Status`` value (nothing shown for none)."""
    return {
        "label": STATUS_LABELS.get(status, "—"),
        "colour": STATUS_COLOURS.get(status, "default"),
    }


@register.inclusion_tag("includes/status_tag.html")
def warning_tag(warning):
    return {
        "label": warning.get_level_display(),
        "colour": LEVEL_COLOURS.get(warning.level, "default"),
    }
