"""Suggestions in the installation: keyword rules at the cold start, then the model of its
history, and a correction teaching the next model."""

from django.core.management import call_command

from qitong.appeals.models import Category
from qitong.dispatch import actions, suggest
from qitong.dispatch.models import KeywordRule, Suggestion
from tests.dispatch.conftest import WHEN

NEW_TEXT = "我公司新厂房用电增容申请迟迟未批，变压器容量不足，希望尽快解决。"


def codes(choices):
    return [choice.obj.code for choice in choices]


def test_cold_start_rules_suggest_until_there_is_history(city):
    KeywordRule.objects.create(keywords="用电\n变压器，供电", lead_unit=city.fgw)
    KeywordRule.objects.create(keywords="施工 建设", lead_unit=city.zjj)
    power = Category.objects.create(code="power", name="用电")
    KeywordRule.objects.create(keywords="增容", category=power)
    KeywordRule.objects.create(keywords="用电", lead_unit=city.gxj, is_active=False)
    appeal = city.file(title="用电增容", content=NEW_TEXT)

    assert suggest.retrain()["unit"] == {"examples": 0, "model": False}
    source, units, categories = suggest.suggest(appeal)
    assert source == Suggestion.Source.RULES
    assert codes(units) == ["fgw"]  # 用电 twice, 变压器 once; zjj's words absent
    assert units[0].confidence == 1.0
    assert codes(categories) == ["power"]

    # An admin's edit is read at once.
    KeywordRule.objects.filter(lead_unit=city.zjj).update(keywords="厂房 申请 容量")
    _source, units, _categories = suggest.suggest(appeal)
    assert codes(units) == ["fgw", "zjj"]
    assert units[0].percent == 50 and units[1].percent == 50


def test_the_model_of_the_history_replaces_the_rules(city):
    KeywordRule.objects.create(keywords="用电", lead_unit=city.zjj)  # a poor rule
    city.history(per_unit=12)
    summary = call_json("retrain")
    assert summary["unit"] == {"examples": 36, "labels": 3, "model": True}
    assert summary["category"]["model"] is False  # no case has a category

    appeal = city.file(title="用电增容", content=NEW_TEXT)
    source, units, _categories = suggest.suggest(appeal)
    assert source == Suggestion.Source.MODEL
    assert codes(units)[0] == "fgw"
    assert units[0].confidence > units[1].confidence


def test_a_correction_changes_the_next_model(city):
    city.history(per_unit=12)
    suggest.retrain()
    # A request the history never saw, worded partly as the power cases are.
    text = "危化品仓储安全评价备案，变压器旁仓库需要消防验收。"
    first = city.file(title="危化品仓储备案", content=text)
    source, units, categories = suggest.suggest(first)
    assert codes(units)[0] == "fgw"
    actions.remember(first, source, units, categories, at=WHEN)
    from qitong.appeals import actions as appeal_actions

    appeal_actions.accept(first, acting_user=city.office_user, at=WHEN)
    # The office chose otherwise on the ordinary form: a correction.
    appeal_actions.dispatch(
        first, acting_user=city.office_user, at=WHEN, mode="transfer", lead_unit="gxj"
    )
    summary = suggest.retrain()
    assert summary["outcomes"] == 1
    suggestion = Suggestion.objects.get(appeal=first)
    assert suggestion.outcome == Suggestion.Outcome.CORRECTED
    assert suggestion.lead_unit == city.fgw and suggestion.chosen_unit == city.gxj

    again = city.file(title="危化品仓储备案", content=text)
    _source, units, _categories = suggest.suggest(again)
    assert codes(units)[0] == "gxj"


def test_training_examples_weigh_corrections(city):
    cases = city.history(per_unit=2)
    Suggestion.objects.create(
        appeal=cases[0],
        source=Suggestion.Source.MODEL,
        lead_unit=city.zjj,
        suggested_at=WHEN,
        outcome=Suggestion.Outcome.CORRECTED,
        chosen_unit=city.fgw,
    )
    texts, labels, weights = suggest.training_examples("unit")
    assert len(texts) == 6 and sorted(set(labels)) == ["fgw", "gxj", "zjj"]
    assert sorted(weights) == [1, 1, 1, 1, 1, suggest.CORRECTION_WEIGHT]


def call_json(*args):
    import json
    from io import StringIO

    out = StringIO()
    call_command("dispatchmodel", *args, stdout=out)
    return json.loads(out.getvalue())
