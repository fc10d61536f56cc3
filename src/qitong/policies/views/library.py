"""The policy library for everyone: the search page and a policy's page, with its files.

No login is needed: a visitor sees the public policies (``access.visible_policies``),
government staff every policy; what a user may not see is a 404.
"""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from qitong.core import search as text_search
from qitong.core.pages import SEARCH_COUNT_LIMIT, paginate
from qitong.enterprises.models import Enterprise
from qitong.policies import access
from qitong.policies.filters import PolicyFilter
from qitong.policies.models import Page
from qitong.policies.search import Results

WEB = ("http://", "https://")  # a source's address is shown as a link only then


def library(request):
    """政策库: words and filters, the most relevant first, then the newest."""
    form = PolicyFilter(request.GET or None)
    results = Results(request.user, form.query(request.user), words=form.words)
    context = paginate(request, results, count_at_most=SEARCH_COUNT_LIMIT)
    context.update(title=_("政策库"), form=form, words=" ".join(form.words))
    return render(request, "policies/library.html", context)


def _correct_url(policy):
    """The keepers' correction page, once its route is there."""
    try:
        return reverse("policy-correct", args=[policy.pk])
    except NoReverseMatch:
        return None


def sources_of(policy):
    """The sites a policy was read from: (source name, address, when read, whether a link)."""
    pages = policy.pages.filter(kind=Page.Kind.DETAIL).select_related("source").order_by("pk")
    return [
        (page.source.name, page.url, page.fetched_at, page.url.startswith(WEB)) for page in pages
    ]


def _labels(values, choices):
    names = dict(choices)
    return [str(names.get(value, value)) for value in values]


def detail(request, pk):
    """A policy's page: its text, what it is, where it was read, its files and readings."""
    user = request.user
    policy = access.access_policy_for_user(user, pk)
    words = request.GET.get("q", "").split()[:10]
    interprets, interpretations = access.visible_readings(user, policy)
    context = {
        "title": policy.title,
        "breadcrumbs": [(_("政策库"), reverse("policy-library"))],
        "policy": policy,
        "body": text_search.highlight(policy.body, words),
        "sources": sources_of(policy),
        "attachments": policy.attachments.order_by("pk"),
        "interprets": interprets,
        "interpretations": interpretations,
        "sizes": _labels(policy.sizes, Enterprise.Size.choices),
        "tiers": _labels(policy.tiers, Enterprise.Tier.choices),
        "regions": policy.regions.order_by("code"),
        "qualifications": policy.qualifications.order_by("pk"),
        "correct_url": _correct_url(policy) if access.keeps_library(user) else None,
    }
    return render(request, "policies/detail.html", context)


def attachment(request, pk, attachment_id):
    """One of a policy's files, as it was downloaded from the site."""
    policy = access.access_policy_for_user(request.user, pk)
    found = get_object_or_404(policy.attachments, pk=attachment_id)
    try:
        handle = found.file.open("rb")
    except OSError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=found.name)
