"""Small pieces every page shares: coloured tags, working time left, query strings."""

import math

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("includes/status_tag.html")
def tag(label, colour=""):
    """A coloured tag (RuoYi-style colours: default, primary, success, warning, danger, info)."""
    return {"label": label, "colour": colour or "default"}


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def working_days(value):
    """A Decimal/float of working days in words: 剩余 2.5 个工作日 / 超期 1 个工作日."""
    if value is None:
        return ""
    number = float(value)
    shown = f"{abs(number):.1f}".rstrip("0").rstrip(".")
    if math.copysign(1, number) < 0:  # also -0.0: a few minutes late is late
        return _("超期 %(days)s 个工作日") % {"days": shown}
    return _("剩余 %(days)s 个工作日") % {"days": shown}
