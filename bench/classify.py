"""How well ``policies.classify`` reads real policies: hand-labelled titles and full texts.

Run: ``.venv/bin/python bench/classify.py [--data /work/shared/data/real/policies]``

It migrates a throwaway SQLite data folder (the shipped divisions, the demo
city's five qualifications), then:

1. trains the model as the library would, from the policies a rule is confident
   of: here the titles of ``policy_metadata_7govs_2023crawl.csv`` (32,147 real
   titles of seven governments' sites) less the labelled ones, and measures it
   on a held-out fifth of those;
2. reads each labelled title as a page of its site would be (the site's level
   and region are the source's) and compares the category (rules alone, and
   rules then the model), the level and region, and the conditions with the
   labels: ``tests/policies/fixtures/policy_labels.csv``, 250 titles (150 drawn
   at random from the whole file, 100 at random from those that say 企业),
   labelled first and looked at while the rules were written; and
   ``policy_labels_blind.csv``, 100 more (60 and 40, drawn the same way),
   labelled after the rules were fixed and measured once;
3. reads the 50 full texts of ``policy_fulltext_sample50.csv`` (title, body,
   issuer, dates) with the labels of ``policy_fulltext_labels.csv`` (category,
   validity).

Precision is right / decided; a label may allow several categories (a general
support package for small firms is financing, tax or business environment).
The figures go to stdout as a markdown section.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: describe_hardware)

ROOT = appeal_bench.ROOT
FIXTURES = ROOT / "tests" / "policies" / "fixtures"
SITES = {  # the sites of the metadata file: (level, region name)
    "国务院": ("national", None),
    "上海市人民政府": ("provincial", "上海市"),
    "河南省人民政府": ("provincial", "河南省"),
    "广东省人民政府": ("provincial", "广东省"),
    "云南省人民政府": ("provincial", "云南省"),
    "四川省人民政府": ("provincial", "四川省"),
    "海南省人民政府": ("provincial", "海南省"),
}


def _ratio(right, total):
    return f"{right}/{total} = {right / total:.1%}" if total else "—"


def _allowed(label):
    return set(label.split("|"))


def _prefix_ok(found, expected):
    """A found industry code is right when it and an expected one are prefixes of each other."""
    return any(found.startswith(code) or code.startswith(found) for code in expected)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/work/shared/data/real/policies")
    args = parser.parse_args()
    data = Path(args.data)
    folder = Path(tempfile.mkdtemp(prefix="qitong-bench-classify-"))
    os.environ.update(
        QITONG_DATA_DIR=str(folder),
        QITONG_SECRET_KEY="bench-only-secret-key-0123456789abcdef",
        QITONG_REDIS_URL="",
        QITONG_DATABASE_URL="",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from qitong.demo.city import QUALIFICATIONS
    from qitong.enterprises.models import Qualification
    from qitong.orgs.models import Region
    from qitong.policies import classify

    call_command("migrate", verbosity=0)
    for code, name in QUALIFICATIONS:
        Qualification.objects.get_or_create(code=code, defaults={"name": name})
    sources = {
        site: SimpleNamespace(
            level=level, region=Region.objects.get(name=name, is_active=True) if name else None
        )
        for site, (level, name) in SITES.items()
    }

    sets = {
        name: list(csv.DictReader((FIXTURES / name).open(encoding="utf-8")))
        for name in ("policy_labels.csv", "policy_labels_blind.csv")
    }
    labelled = {int(row["corpus_row"]) for rows in sets.values() for row in rows}
    corpus = list(
        csv.DictReader((data / "policy_metadata_7govs_2023crawl.csv").open(encoding="utf-8"))
    )

    # 1. the model, trained as the library trains it: from what the rules are sure of
    began = time.perf_counter()
    examples = []
    for line, row in enumerate(corpus, start=2):
        if line in labelled:
            continue
        category = classify.by_rules(row["标题"], "")
        if category is not None:
            examples.append((line, row["标题"], "", category))
    summary = classify.train(examples=examples, save=False)
    model = classify.fit([example[1:] for example in examples])
    trained = time.perf_counter() - began

    # 2. the labelled titles
    misses = []
    began = time.perf_counter()
    results = {name: _titles(rows, sources, model, misses) for name, rows in sets.items()}
    read_titles = (time.perf_counter() - began) / sum(len(rows) for rows in sets.values())

    # 3. the full texts
    texts = list(csv.DictReader((data / "policy_fulltext_sample50.csv").open(encoding="utf-8")))
    text_labels = list(
        csv.DictReader((FIXTURES / "policy_fulltext_labels.csv").open(encoding="utf-8"))
    )
    full = dict.fromkeys(
        ["rule", "rule_right", "model", "model_right", "right", "dates", "dates_right"], 0
    )
    full["with_dates"] = sum(
        1 for label in text_labels if label["valid_from"] or label["valid_until"]
    )
    for text, label in zip(texts, text_labels, strict=True):
        body = "" if text["Body"].strip() == "error" else text["Body"]
        allowed = _allowed(label["category"])
        category, by = classify.categorize(text["Title"], body, model=model)
        full["right"] += category in allowed
        if by == "rule":
            full["rule"] += 1
            full["rule_right"] += category in allowed
        elif by == "model":
            full["model"] += 1
            full["model_right"] += category in allowed
        if category not in allowed:
            misses.append((text["Title"][:60], category, by or "—", label["category"]))
        start, end = classify.validity(
            body,
            published=_day(text["Publishing date"]),
            written=_day(text["Date"]),
        )
        expected = (label["valid_from"], label["valid_until"])
        got = (start.isoformat() if start else "", end.isoformat() if end else "")
        if start or end:
            full["dates"] += 1
            full["dates_right"] += got == expected
        elif any(expected):
            misses.append((text["Title"][:60], f"validity {got}", "—", f"{expected}"))

    print(f"## Policy classification on real titles and texts ({time.strftime('%Y-%m-%d')})\n")
    print(
        f"Machine: {appeal_bench.describe_hardware()}. "
        "Command: `.venv/bin/python bench/classify.py`.\n"
    )
    print(
        f"Model: {summary['examples']:,} training titles (those of the 32,147 a rule is sure of, "
        f"less the labelled), classes {summary['classes']}; held-out accuracy "
        f"{summary['accuracy']:.1%} on {summary['held_out']:,} (agreement with the rules); "
        f"trained in {trained:.1f} s.\n"
    )
    dev, blind = results["policy_labels.csv"], results["policy_labels_blind.csv"]
    print(
        "| labelled titles | 250, seen while the rules were written | "
        "100, labelled after the rules were fixed |"
    )
    print("|---|---|---|")
    for label, key in ROWS:
        print(f"| {label} | {dev[key]} | {blind[key]} |")
    print(f"| time to read a title | {read_titles * 1000:.2f} ms | |")
    print()
    print("| 50 full texts | figure |")
    print("|---|---|")
    print(f"| rules decided: precision | {_ratio(full['rule_right'], full['rule'])} |")
    print(f"| then the model decided: precision | {_ratio(full['model_right'], full['model'])} |")
    print(f"| every text: category right | {_ratio(full['right'], len(texts))} |")
    print(
        f"| validity found: exactly right | {_ratio(full['dates_right'], full['dates'])} (labelled with a date: {full['with_dates']}) |"
    )
    print()
    print("Wrong or missed (title, found, by, label):\n")
    for title, category, by, label in misses:
        print(f"- {title} → {category} ({by}); label {label}")


ROWS = [
    ("rules decided: precision", "rules"),
    ("then the model decided: precision", "model"),
    ("rules + model: precision", "decided"),
    ("undecided (→ other): other was right", "undecided"),
    ("every title: category right", "all"),
    ("reference, every title called other: right", "baseline"),
    ("a category other than other: precision", "enterprise"),
    ("level right", "level"),
    ("region right", "region"),
    ("sizes found: precision", "sizes"),
    ("industries found: precision", "industries"),
    ("qualifications found: precision", "qualifications"),
]


def _titles(rows, sources, model, misses):
    """The figures of one labelled set: {key: "right/found = %"} for ``ROWS``."""
    from qitong.policies import classify

    counts = dict.fromkeys(
        ["rule", "rule_right", "model", "model_right", "undecided", "undecided_other"], 0
    )
    counts.update(level=0, region=0, enterprise_right=0, enterprise_decided=0, all_right=0)
    conditions = {name: [0, 0] for name in ("sizes", "industries", "qualifications")}
    for row in rows:
        allowed = _allowed(row["category"])
        title, source = row["title"], sources[row["site"]]
        rule = classify.by_rules(title, "")
        category, by = classify.categorize(title, "", model=model)
        if rule is not None:
            counts["rule"] += 1
            counts["rule_right"] += rule in allowed
        elif by == "model":
            counts["model"] += 1
            counts["model_right"] += category in allowed
        else:
            counts["undecided"] += 1
            counts["undecided_other"] += "other" in allowed
        counts["all_right"] += category in allowed
        if category != "other":
            counts["enterprise_decided"] += 1
            counts["enterprise_right"] += category in allowed
        if category not in allowed:
            misses.append((title, category, by or "—", row["category"]))
        level, region = classify.place(title, "", source)
        counts["level"] += level == row["level"]
        counts["region"] += (region.name if region else "") == row["region"]
        found = classify.conditions(title, "")
        expected = {
            "sizes": set(row["sizes"].split()),
            "industries": row["industries"].split(),
            "qualifications": set(row["qualifications"].split()),
        }
        for size in found["sizes"]:
            conditions["sizes"][0] += 1
            conditions["sizes"][1] += size in expected["sizes"]
        for code in found["industries"]:
            conditions["industries"][0] += 1
            conditions["industries"][1] += _prefix_ok(code, expected["industries"])
        for row_found in found["qualifications"]:
            conditions["qualifications"][0] += 1
            conditions["qualifications"][1] += row_found.code in expected["qualifications"]
        for name, values in found.items():
            if name in expected and values and not expected[name]:
                misses.append((title, f"{name} {values}", "—", "none"))
    n = len(rows)
    figures = {
        "rules": _ratio(counts["rule_right"], counts["rule"]),
        "model": _ratio(counts["model_right"], counts["model"]),
        "decided": _ratio(
            counts["rule_right"] + counts["model_right"], counts["rule"] + counts["model"]
        ),
        "undecided": _ratio(counts["undecided_other"], counts["undecided"]),
        "all": _ratio(counts["all_right"], n),
        "baseline": _ratio(sum("other" in _allowed(row["category"]) for row in rows), n),
        "enterprise": _ratio(counts["enterprise_right"], counts["enterprise_decided"]),
        "level": _ratio(counts["level"], n),
        "region": _ratio(counts["region"], n),
    }
    for name, (found_count, right) in conditions.items():
        figures[name] = _ratio(right, found_count)
    return figures


def _day(text):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


if __name__ == "__main__":
    main()
