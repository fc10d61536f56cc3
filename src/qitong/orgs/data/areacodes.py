"""Turn yescallop/areacodes' ``result.csv`` into ``divisions.csv`` (run by hand, once a year).

    python src/qitong/orgs/data/areacodes.py result.csv 2024 > src/qitong/orgs/data/divisions.csv

``result.csv`` lists every county-level-and-above code the Ministry of Civil
Affairs published since 1980, one record per code and name, with the year it
came into use, the year it changed or was abolished, and the codes that took
over its area. This script keeps one row per code — its latest record — in the
format ``qitong regions load`` reads: ``code,name,parent_code,successor``.

Choosing one successor, because a region points at one:
- a county whose area went to several codes: the one with the same name stem
  (章丘市 → 章丘区), else the lowest common parent of them all when they share
  a prefecture (邯郸县 → 邯郸市: right at that level rather than a guessed
  district), else the first listed;
- codes marked ``[year]`` are earlier transfers of part of the area, not the
  heirs, and are ignored when any other is listed;
- a prefecture (地区, 盟) that the list abolishes without naming an heir gets
  the prefecture most of its counties went to (德州地区 → 德州市), else its province.
Standard library only, so it runs without the project installed.
"""

import collections
import csv
import re
import sys

SUFFIXES = re.compile(r"(自治县|自治旗|特区|林区|矿区|县|市|区|旗)$")


def level(code):
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


def stem(name):
    return SUFFIXES.sub("", name)


def latest_records(path):
    by_code = collections.defaultdict(list)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for record in csv.DictReader(handle):
            by_code[record["代码"]].append(record)
    return {
        code: max(records, key=lambda r: (r["状态"] == "在用", int(r["启用时间"])))
        for code, records in by_code.items()
    }


def parent_of(code, record, known):
    if level(code) == 1:
        return ""
    province = code[:2] + "0000"
    prefecture = code[:4] + "00"
    if level(code) == 3 and record["二级行政区"] != "直辖" and prefecture in known:
        return prefecture
    return province


def heirs(record, code):
    listed = [item for item in record["新代码"].split(";") if item]
    plain = [item for item in listed if "[" not in item]
    return [item.split("[")[0] for item in (plain or listed) if item.split("[")[0] != code]


def main(path, year):
    records = latest_records(path)
    parents = {code: parent_of(code, record, records) for code, record in records.items()}
    active = {code for code, record in records.items() if record["状态"] == "在用"}
    successor = {}
    for code, record in records.items():
        if code in active:
            continue
        candidates = [item for item in heirs(record, code) if item in records]
        if not candidates:
            continue
        same_name = [
            item for item in candidates if stem(records[item]["名称"]) == stem(record["名称"])
        ]
        common = {parents[item] for item in candidates}
        if len(candidates) == 1 or same_name:
            successor[code] = (same_name or candidates)[0]
        elif len(common) == 1 and level(next(iter(common))) == 2:
            successor[code] = next(iter(common))
        else:
            successor[code] = candidates[0]
    # Abolished prefectures: follow their counties.
    for code in records:
        if code in active or code in successor or level(code) != 2:
            continue
        votes = collections.Counter(
            _prefecture(successor[child], parents)
            for child in records
            if parents[child] == code and child in successor
        )
        votes.pop(None, None)
        successor[code] = votes.most_common(1)[0][0] if votes else code[:2] + "0000"
    out = csv.writer(sys.stdout, lineterminator="\n")
    sys.stdout.write(
        f"# GB/T 2260 county-level and above divisions as the Ministry of Civil Affairs listed them"
        f" at the end of {year}, with every code abolished since 1980 and its successor.\n"
        "# Source: 民政部《中华人民共和国县级以上行政区划代码》 via github.com/yescallop/areacodes"
        " (CC0 1.0); converted by areacodes.py. Format: see `qitong regions load --help`.\n"
    )
    out.writerow(["code", "name", "parent_code", "successor"])
    for code in sorted(records):
        if code in active:
            out.writerow([code, records[code]["名称"], parents[code], ""])
        else:
            out.writerow([code, records[code]["名称"], parents[code], successor.get(code, "-")])


def _prefecture(code, parents):
    """The prefecture (or province) a successor lies in: itself when it is one."""
    while code and level(code) == 3:
        code = parents.get(code, "")
    return code or None


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
