"""The text classifier on its own: training and prediction round trip, scores, the text read."""

import io
import random

import pytest

from qitong.dispatch import model, text
from tests.dispatch.conftest import TOPICS, topic_text


def corpus(n=20, seed=1):
    rng = random.Random(seed)
    texts, labels = [], []
    for unit in TOPICS:
        for _ in range(n):
            texts.append(topic_text(unit, rng))
            labels.append(unit)
    return texts, labels


def test_round_trip_through_a_file():
    texts, labels = corpus()
    fitted = model.fit(texts, labels)
    buffer = io.BytesIO()
    fitted.save(buffer)
    loaded = model.Model.load(io.BytesIO(buffer.getvalue()))

    fresh = [
        "我公司新厂房需要用电增容，变压器容量不够，希望尽快解决。",
        "生产线技术改造的设备补贴何时发放？",
    ]
    assert loaded.predict(fresh) == ["fgw", "gxj"]
    top = loaded.top(fresh[0], k=3)
    assert [label for label, _p in top][0] == "fgw"
    assert len(top) == 3
    assert abs(sum(p for _l, p in top) - 1) < 1e-6
    assert top[0][1] > 0.5 > top[1][1]
    assert loaded.labels == ["fgw", "gxj", "zjj"]


def test_a_file_that_is_no_model_is_refused(tmp_path):
    path = tmp_path / "x.pkl"
    import pickle

    path.write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ValueError):
        model.Model.load(path)


def test_one_label_is_nothing_to_learn():
    with pytest.raises(ValueError):
        model.fit(["电费太高", "停电频繁"], ["fgw", "fgw"])


def test_scores_are_the_competitions_macro_f1():
    truth = ["a", "a", "b", "b", "c"]
    predicted = ["a", "b", "b", "b", "a"]
    result = model.scores(truth, predicted)
    # a: P 1/2 R 1/2 F 0.5; b: P 2/3 R 1 F 0.8; c: P 0 R 0 F 0
    assert result["macro_f1"] == pytest.approx((0.5 + 0.8 + 0) / 3, abs=1e-4)
    assert result["accuracy"] == 0.6
    assert result["per_class"]["b"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}


def test_original_and_segmented_text_give_the_same_words():
    original = "A市西湖建筑集团占道施工有安全隐患"
    segmented = "市 西湖 建筑 集团 占 道 施工 安全隐患"
    assert text.is_segmented(segmented) and not text.is_segmented(original)
    assert text.words(segmented) == ["市", "西湖", "建筑", "集团", "占", "道", "施工", "安全隐患"]
    found = text.words(original + " https://example.org/x?y=1 电话0000-00000000")
    assert "施工" in found and "西湖" in found
    assert not any(ch.isascii() for word in found for ch in word)


def test_a_rows_text_falls_back_to_subject_and_details_then_segmented():
    row = {"主题详情原文": "", "留言主题": "主题", "留言详情": "详情", "分词文本": "分词 文本"}
    assert text.row_text(row, "主题详情原文") == "主题详情"
    assert text.row_text({**row, "留言主题": "", "留言详情": ""}, "主题详情原文") == "分词 文本"
    assert text.row_text(row, "留言主题+留言详情") == "主题详情"
    assert text.row_text({**row, "主题详情原文": "原文"}, "主题详情原文") == "原文"


def test_one_text_at_a_time_scores_as_scikit_learn_does():
    texts, labels = corpus()
    for fitted in (model.fit(texts, labels), model.fit(texts[:40], labels[:40])):  # 3 and 2 classes
        buffer = io.BytesIO()
        fitted.save(buffer)
        loaded = model.Model.load(io.BytesIO(buffer.getvalue()))
        for sample in [*texts[::7], "完全无关的内容", "", "变压器 停电 电费"]:
            expected = fitted.linear.decision_function(fitted._features([sample]))[0]
            expected = [-expected, expected] if expected.ndim == 0 else list(expected)
            assert loaded.margins(sample) == pytest.approx(expected, abs=1e-9)


def test_the_lead_is_a_view_of_its_own():
    """The first ``LEAD`` characters (a title, a subject) weigh again on their own: a word that
    names the case there moves the margins more than the same word deep in the account."""
    texts, labels = corpus()
    fitted = model.fit(texts, labels)
    assert fitted.lead.vocabulary_
    filler = "情况说明如下。" * 10  # words of no unit, longer than the lead
    leading, trailing = "变压器增容" + filler, filler + "变压器增容"
    assert len(text.joined(text.words(filler))) > model.LEAD
    first, last = fitted.margins(leading), fitted.margins(trailing)
    fgw = fitted.labels.index("fgw")
    assert first[fgw] > last[fgw]
    assert fitted.predict([leading]) == ["fgw"]
