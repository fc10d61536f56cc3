"""Suggestions for a new appeal: its lead unit and its category, from the installation's history.

Two models learn from the installation's own appeals (``retrain``): the lead
unit of every case the offices dispatched to a unit (not handled directly, not
handed to a district office), and the category of every case that has one.
A case whose suggestion the office corrected (dispatched to another unit than
suggested; a click on a suggested category that changed the case's) counts
``CORRECTION_WEIGHT`` times in that kind's model, so that the next model
learns the office's choice. Each model is kept in the default storage
(``MODEL_PATHS``), retrained every night by the ``dispatch-retrain`` job and by
``qitong dispatchmodel retrain``.

Until a label has ``MIN_EXAMPLES`` cases behind it in at least two classes —
a new installation — the admin's ``KeywordRule``s suggest instead: each rule
scores one point per keyword found in the title and content, and its unit and
category are suggested with their share of the points.
"""

import io
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db.models import F

from qitong.appeals.models import Appeal, Category
from qitong.core import clock, files
from qitong.dispatch import model as M
from qitong.dispatch.models import KeywordRule, Suggestion
from qitong.orgs.models import Unit

MODEL_PATHS = {"unit": "dispatch/unit-model.pkl", "category": "dispatch/category-model.pkl"}
MIN_EXAMPLES = 30  # cases behind a model before it replaces the rules
CORRECTION_WEIGHT = 3
MOST_EXAMPLES = 50_000  # the newest cases a model learns from
TOP = 3


@dataclass(frozen=True)
class Choice:
    """One suggested unit or category, with its confidence (0–1)."""

    obj: object
    confidence: float

    @property
    def percent(self):
        return round(self.confidence * 100)


def _text(title, content):
    return f"{title}\n{content}"


# --- training --------------------------------------------------------------------------


def training_examples(kind):
    """``(texts, labels, weights)`` of the installation's cases for ``kind`` (unit, category)."""
    appeals = Appeal.objects.order_by("-created_at")
    if kind == "unit":
        appeals = (
            appeals.filter(lead_unit__isnull=False, dispatched_at__isnull=False)
            .exclude(handling_mode=Appeal.Mode.DIRECT)
            .exclude(lead_unit__kind=Unit.Kind.OFFICE)
            .annotate(label=F("lead_unit__code"))
        )
    else:
        appeals = appeals.filter(category__isnull=False).annotate(label=F("category__code"))
    rows = list(appeals.values_list("pk", "title", "content", "label")[:MOST_EXAMPLES])
    outcome = "outcome" if kind == "unit" else "category_outcome"
    corrected = set(
        Suggestion.objects.filter(
            **{outcome: Suggestion.Outcome.CORRECTED}, appeal_id__in=[row[0] for row in rows]
        ).values_list("appeal_id", flat=True)
    )
    texts = [_text(title, content) for _pk, title, content, _label in rows]
    labels = [label for *_rest, label in rows]
    weights = [CORRECTION_WEIGHT if pk in corrected else 1 for pk, *_rest in rows]
    return texts, labels, weights


def record_outcomes(at=None):
    """Mark the pending suggestions of the cases dispatched since: accepted or corrected."""
    at = at or clock.now()
    done = 0
    pending = Suggestion.objects.filter(
        outcome=Suggestion.Outcome.PENDING, appeal__dispatched_at__isnull=False
    ).select_related("appeal")
    for suggestion in pending:
        appeal = suggestion.appeal
        if appeal.lead_unit_id is None or appeal.handling_mode == Appeal.Mode.DIRECT:
            continue
        suggestion.chosen_unit_id = appeal.lead_unit_id
        suggestion.decided_at = appeal.dispatched_at
        suggestion.outcome = (
            Suggestion.Outcome.ACCEPTED
            if appeal.lead_unit_id == suggestion.lead_unit_id
            else Suggestion.Outcome.CORRECTED
        )
        suggestion.save(update_fields=["chosen_unit", "decided_at", "outcome"])
        done += 1
    return done


def retrain():
    """Train both models from the history; a label without enough of it keeps the rules."""
    summary = {"outcomes": record_outcomes()}
    for kind, path in MODEL_PATHS.items():
        texts, labels, weights = training_examples(kind)
        counts = Counter(labels)
        enough = [label for label, n in counts.items() if n >= 2]
        if len(labels) < MIN_EXAMPLES or len(enough) < 2:
            _delete(path)
            summary[kind] = {"examples": len(labels), "model": False}
            continue
        fitted = M.fit(texts, labels, weights=weights)
        _save(path, fitted)
        summary[kind] = {"examples": len(labels), "labels": len(counts), "model": True}
    return summary


def _save(path, fitted):
    buffer = io.BytesIO()
    fitted.save(buffer)
    files.save_whole(path, buffer.getvalue())


def _delete(path):
    if default_storage.exists(path):
        default_storage.delete(path)


_loaded = {}
_loaded_lock = threading.Lock()


def load(kind):
    """The stored model of ``kind``, read again only when its file changed; None if none."""
    path = MODEL_PATHS[kind]
    if not default_storage.exists(path):
        return None
    try:
        key = (default_storage.path(path), default_storage.get_modified_time(path))
    except NotImplementedError:
        key = (path, default_storage.size(path))
    with _loaded_lock:
        cached = _loaded.get(kind)
        if cached and cached[0] == key:
            return cached[1]
    try:
        with default_storage.open(path, "rb") as source:
            fitted = M.Model.load(source)
    except (OSError, ValueError, EOFError):
        return None
    with _loaded_lock:
        _loaded[kind] = (key, fitted)
    return fitted


# --- suggesting ------------------------------------------------------------------------


def by_rules(title, content):
    """``(units, categories)``: the keyword rules' choices with their share of the points."""
    text = _text(title, content)
    units, categories = defaultdict(int), defaultdict(int)
    for rule in KeywordRule.objects.filter(is_active=True).select_related("category", "lead_unit"):
        points = sum(text.count(word) for word in rule.words)
        if not points:
            continue
        if rule.lead_unit_id and rule.lead_unit.is_active:
            units[rule.lead_unit] += points
        if rule.category_id and rule.category.is_active:
            categories[rule.category] += points
    return _shares(units), _shares(categories)


def _shares(points):
    total = sum(points.values())
    ranked = sorted(points.items(), key=lambda item: (-item[1], item[0].pk))[:TOP]
    return [Choice(obj, n / total) for obj, n in ranked]


def by_model(fitted, title, content, queryset):
    """The model's top labels that are still active objects of ``queryset`` (by code)."""
    top = fitted.top(_text(title, content), k=TOP + 2)
    found = queryset.filter(code__in=[label for label, _p in top]).in_bulk(field_name="code")
    return [Choice(found[label], p) for label, p in top if label in found][:TOP]


def suggest(appeal, units=None):
    """``(source, units, categories)`` for ``appeal``; ``units`` limits the units (a queryset).

    The model of each kind where there is one, else the keyword rules.
    """
    units = Unit.objects.filter(is_active=True) if units is None else units
    unit_model, category_model = load("unit"), load("category")
    rule_units, rule_categories = (
        by_rules(appeal.title, appeal.content) if not (unit_model and category_model) else ([], [])
    )
    suggested_units = (
        by_model(unit_model, appeal.title, appeal.content, units)
        if unit_model
        else [c for c in rule_units if units.filter(pk=c.obj.pk).exists()]
    )
    categories = (
        by_model(
            category_model, appeal.title, appeal.content, Category.objects.filter(is_active=True)
        )
        if category_model
        else rule_categories
    )
    source = Suggestion.Source.MODEL if unit_model else Suggestion.Source.RULES
    return source, suggested_units, categories
