"""The enterprise import at a province's volume, beside a bare read of the same workbook.

Run: ``.venv/bin/python bench/import.py [--rows 50000,250000] [--keep DIR]``
(PostgreSQL: ``scripts/with-postgres.sh .venv/bin/python bench/import.py --postgres``)

For each row count, a province's list is generated as an office would send it
(``generate``): one sheet with a merged title row over the header, no region
column (each enterprise's county comes from its address, "山东省济南市历下区…",
matched against the shipped divisions), real-looking unified social credit
codes with valid check characters (registered at the county or, for a third,
at the prefecture), GB/T 4754 classes, sizes, the above-scale flag, a
qualification on one row in eight, a primary contact on every row. It is
written by XlsxWriter in constant-memory mode (so its strings are inline, as
large exports' are).

Then, each in a process of its own so that its peak memory is its own
(``ru_maxrss`` of that process, Django loaded or not):

- ``bare``: openpyxl read-only, values only, every row iterated
  (``iter_rows(values_only=True)``): the reference, measured twice (before and
  after the imports), the faster one kept;
- ``import``: ``qitong.enterprises.imports.import_enterprises`` into a fresh,
  migrated database (SQLite in a data folder of its own, or a fresh PostgreSQL
  database with ``--postgres``), every row created;
- ``again``: the same file imported again: every row found by its code and
  updated (nothing written, since nothing changed).

The figures (wall-clock seconds, CPU seconds, peak RSS, the ratio of the
import to the bare read) go to stdout as a Markdown table for
docs/benchmarks.md.
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIVISIONS = ROOT / "src" / "qitong" / "orgs" / "data" / "divisions.csv"
PROVINCE = "37"  # 山东省
SECRET = "bench-only-secret-key-0123456789abcdefghij"

WORDS = [
    "华泰",
    "鲁信",
    "齐鲁",
    "泉城",
    "海岱",
    "泰山",
    "黄河",
    "蓝海",
    "金诺",
    "恒通",
    "瑞丰",
    "宏达",
    "中创",
    "天元",
    "新阳",
    "东岳",
    "明湖",
    "银座",
    "浪潮",
    "万达",
]
TRADES = [
    ("C3989", "电子"),
    ("C3311", "金属制品"),
    ("C2651", "化工"),
    ("F5191", "商贸"),
    ("I6513", "软件"),
    ("G5438", "物流"),
    ("H6110", "酒店"),
    ("M7320", "工程技术"),
    ("E4710", "建筑"),
    ("A0111", "农业"),
]
SIZES = ["小型"] * 14 + ["微型"] * 4 + ["中型"] * 2 + ["大型"]
ROADS = [
    "经十",
    "经七",
    "工业南",
    "历山",
    "舜耕",
    "解放",
    "泉城",
    "二环东",
    "旅游",
    "花园",
    "文化",
    "和平",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚"
HEADERS = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "行业代码",
    "企业规模",
    "规上企业",
    "资质",
    "注册地址",
    "联系人",
    "联系电话",
    "备注",
]
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def counties():
    """The province's counties in use, each with its prefecture's and province's names."""
    rows = list(
        csv.reader(line for line in DIVISIONS.open(encoding="utf-8") if not line.startswith("#"))
    )
    names = {row[0]: row[1] for row in rows[1:]}
    found = []
    for code, name, parent, *rest in rows[1:]:
        in_use = not (rest and rest[0])
        if code.startswith(PROVINCE) and not code.endswith("00") and in_use and len(code) == 6:
            found.append((code, parent, names[PROVINCE + "0000"], names.get(parent, ""), name))
    return found


def serial(number):
    """Seven characters of the code's charset, unique per number."""
    digits = []
    for _ in range(7):
        number, digit = divmod(number, len(CHARSET))
        digits.append(CHARSET[digit])
    return "".join(reversed(digits))


def generate(path, rows, seed=2025):
    import xlsxwriter

    sys.path.insert(0, str(ROOT / "src"))
    from qitong.enterprises.uscc import make_uscc

    pick = random.Random(seed)
    places = counties()
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("企业名录")
    sheet.merge_range(0, 0, 0, len(HEADERS) - 1, "山东省企业名录（2025年）")
    sheet.write_row(1, 0, HEADERS)
    for number in range(1, rows + 1):
        county, prefecture, province_name, prefecture_name, county_name = pick.choice(places)
        industry, trade = pick.choice(TRADES)
        registered = prefecture if number % 3 == 0 else county
        code = make_uscc(f"91{registered}MA{serial(number)}")
        qualification = ""
        if number % 8 == 0:
            qualification = "高新技术企业、专精特新" if number % 24 == 0 else "高新技术企业"
        sheet.write_row(
            number + 1,
            0,
            [
                number,
                f"{prefecture_name[:2]}{pick.choice(WORDS)}{trade}有限公司{number}",
                code,
                industry,
                pick.choice(SIZES),
                "是" if number % 5 == 0 else "否",
                qualification,
                f"{province_name}{prefecture_name}{county_name}{pick.choice(ROADS)}路{pick.randint(1, 999)}号",
                pick.choice(SURNAMES) + pick.choice(GIVEN) + pick.choice(GIVEN),
                f"13{pick.randint(0, 999_999_999):09d}",
                "",
            ],
        )
    book.close()


def child(kind, path):
    """One measured run in this process: prints its figures as JSON."""
    started, cpu = time.perf_counter(), time.process_time()
    result = {}
    if kind == "bare":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        count = 0
        for _row in book.worksheets[0].iter_rows(values_only=True):
            count += 1
        book.close()
        result["rows"] = count
    else:
        import django

        django.setup()
        from qitong.enterprises.imports import import_enterprises

        started, cpu = time.perf_counter(), time.process_time()
        report = import_enterprises(path)
        result.update(created=report.created, updated=report.updated, rejected=len(report.rejected))
    result.update(
        seconds=time.perf_counter() - started,
        cpu=time.process_time() - cpu,
        rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(result))


def run_child(kind, path, env):
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_database(env, data_dir, postgres):
    """A migrated, empty database for one import; returns the environment that names it."""
    env = dict(env, QITONG_DATA_DIR=str(data_dir))
    if postgres:
        import psycopg

        base = os.environ["QITONG_DATABASE_URL"]
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS qitong_import_bench")
            connection.execute("CREATE DATABASE qitong_import_bench")
        env["QITONG_DATABASE_URL"] = base.rsplit("/", 1)[0] + "/qitong_import_bench"
    else:
        env["QITONG_DATABASE_URL"] = ""
    subprocess.run(
        [sys.executable, "-m", "qitong", "migrate", "-v0"], env=env, check=True, cwd=ROOT
    )
    script = (
        "import django; django.setup()\n"
        "from qitong.enterprises.models import Qualification\n"
        "Qualification.objects.create(code='gaoxin', name='高新技术企业')\n"
        "Qualification.objects.create(code='zjtx', name='专精特新')\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=ROOT)
    return env


def describe(postgres):
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip() + ", "
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    database = "PostgreSQL (scripts/with-postgres.sh)" if postgres else "SQLite (WAL)"
    return (
        f"{cpu}{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB RAM, "
        f"Python {platform.python_version()}, {database}; load average {load:.1f} at the end"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="50000,250000", help="row counts, comma-separated")
    parser.add_argument("--keep", metavar="DIR", help="keep the workbooks and databases in DIR")
    parser.add_argument("--postgres", action="store_true", help="import into QITONG_DATABASE_URL")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(args.keep or tempfile.mkdtemp(prefix="qitong-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("QITONG_")}
    env.update(
        QITONG_SECRET_KEY=SECRET,
        QITONG_REDIS_URL="",
        DJANGO_SETTINGS_MODULE="qitong.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    results = []
    try:
        for rows in [int(value) for value in args.rows.split(",")]:
            path = work / f"province-{rows}.xlsx"
            if not path.exists():
                started = time.perf_counter()
                generate(path, rows)
                print(f"generated {path} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            database = fresh_database(env, work / f"data-{rows}", args.postgres)
            bare = run_child("bare", path, env)
            imported = run_child("import", path, database)
            again = run_child("import", path, database)
            bare_after = run_child("bare", path, env)
            reference = min(bare, bare_after, key=lambda run: run["seconds"])
            assert imported["created"] == rows and imported["rejected"] == 0, imported
            assert again["updated"] == rows and again["created"] == 0, again
            results.append((rows, path.stat().st_size, reference, imported, again))
            print(
                json.dumps(
                    {"rows": rows, "bare": [bare, bare_after], "import": imported, "again": again}
                ),
                file=sys.stderr,
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"Machine: {describe(args.postgres)}.\n")
    print(
        "| rows | file | bare read (openpyxl read-only) | import (all new) | ratio | import again (all updated) | ratio | peak RSS bare / import |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows, size, reference, imported, again in results:
        print(
            f"| {rows:,} | {size / 2**20:.1f} MB "
            f"| {reference['seconds']:.1f} s (CPU {reference['cpu']:.1f} s) "
            f"| {imported['seconds']:.1f} s (CPU {imported['cpu']:.1f} s) "
            f"| {imported['seconds'] / reference['seconds']:.2f}× "
            f"| {again['seconds']:.1f} s (CPU {again['cpu']:.1f} s) "
            f"| {again['seconds'] / reference['seconds']:.2f}× "
            f"| {reference['rss_mb']:.0f} / {imported['rss_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
