"""``qitong dispatchmodel train`` and ``eval``: CSV in, a model file, JSON figures out."""

import csv
import json
import random

import pytest
from django.core.management import CommandError, call_command

from tests.dispatch.conftest import TOPICS, topic_text

COLUMNS = ["序号", "一级标签", "留言主题", "留言详情", "主题详情原文", "分词文本"]


def write_csv(path, n, seed):
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(n):
            label = list(TOPICS)[i % 3]
            body = topic_text(label, rng)
            row = {
                "序号": i,
                "一级标签": label,
                "留言主题": "",
                "留言详情": "",
                "主题详情原文": "",
                "分词文本": "",
            }
            if i % 3 == 0:
                row["主题详情原文"] = body
            elif i % 3 == 1:
                row["留言主题"], row["留言详情"] = body[:6], body[6:]
            else:
                row["分词文本"] = " ".join(body.strip("。").split("，"))
            writer.writerow(row)


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("dispatchmodel", *args, stdout=out)
    return json.loads(out.getvalue())


def test_train_then_eval_with_predictions(tmp_path):
    train, test, model = tmp_path / "train.csv", tmp_path / "test.csv", tmp_path / "m.pkl"
    write_csv(train, 90, seed=1)
    write_csv(test, 30, seed=2)
    summary = run(
        "train",
        "--csv",
        str(train),
        "--text",
        "主题详情原文",
        "--label",
        "一级标签",
        "--out",
        str(model),
    )
    assert summary["examples"] == 90 and summary["labels"] == ["fgw", "gxj", "zjj"]
    assert model.stat().st_size > 0

    predictions = tmp_path / "p.csv"
    figures = run(
        "eval",
        "--model",
        str(model),
        "--csv",
        str(test),
        "--text",
        "主题详情原文",
        "--label",
        "一级标签",
        "--predictions",
        str(predictions),
    )
    assert set(figures) == {"macro_f1", "accuracy", "per_class"}
    assert figures["macro_f1"] >= 0.9
    assert set(figures["per_class"]) == {"fgw", "gxj", "zjj"}
    with open(predictions, encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == 30
    assert set(rows[0]) == {"text", "label", "predicted"}
    assert all(row["text"] for row in rows)  # every row's text, by its fallback
    hits = sum(row["label"] == row["predicted"] for row in rows) / 30
    assert hits == pytest.approx(figures["accuracy"], abs=1e-4)


def test_a_missing_column_is_named(tmp_path):
    path = tmp_path / "x.csv"
    write_csv(path, 6, seed=1)
    with pytest.raises(CommandError, match="标签X"):
        run(
            "train",
            "--csv",
            str(path),
            "--text",
            "主题详情原文",
            "--label",
            "标签X",
            "--out",
            str(tmp_path / "m"),
        )


def test_an_unreadable_model_is_refused(tmp_path):
    path, bogus = tmp_path / "x.csv", tmp_path / "bogus.pkl"
    write_csv(path, 6, seed=1)
    bogus.write_bytes(b"not a pickle")
    with pytest.raises(CommandError, match="无法读取模型"):
        run(
            "eval",
            "--model",
            str(bogus),
            "--csv",
            str(path),
            "--text",
            "主题详情原文",
            "--label",
            "一级标签",
        )
