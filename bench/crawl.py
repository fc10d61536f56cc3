"""The policy crawler at 1,000 sources on a loopback site farm, with Scrapy as the reference.

Run: ``.venv/bin/python bench/crawl.py [--sources 1000] [--policies 6] [--cycles 3]
[--trials 5] [--every SECONDS] [--no-scrapy] [--no-report]``

It starts, under a temporary folder removed at the end:

- the farm (another process, one asyncio loop): one government site per source,
  each on its own loopback address (127.1.x.y, one port), so that every site is
  its own host for both crawlers' per-host limits (Scrapy keys its slots by host
  name, without the port). A site serves ``robots.txt``, a list of its policies
  five to a page newest first with a "next" link, and a disclosure page per
  policy (the metadata table, the article), each with an ETag and a
  Last-Modified and ``Cache-Control: max-age=0`` (revalidate every time), and
  answers a conditional request whose validator matches with 304;
- Qitong on a throwaway SQLite data folder (the embedded deployment), with the
  demo city (its enterprises are whom a new policy is pushed to) and one
  ``PolicySource`` per site. Loopback addresses are what the crawler refuses to
  a public source; a source whose list address is itself an internal address
  (here, 127.1.x.y written out) is "inside", as in ``tests/policies``, and may
  read its own network.

Then it measures, in this order:

1. the first cycle (every policy new), Qitong's ``crawler.run_cycle`` and the
   Scrapy spider ``bench/crawl_scrapy.py`` (a competent configuration:
   robots.txt obeyed, conditional requests through ``HttpCacheMiddleware``'s
   RFC 2616 policy, detail pages already scraped skipped as scrapy-deltafetch
   does, the same concurrency and per-host limits as Qitong), each run as a
   separate process in its own virtualenv under /tmp (installed with pip the
   first time; Scrapy is not a dependency of the project);
2. ``--cycles`` unchanged cycles of each, alternating: seconds, requests the
   farm answered (and how many with 304), CPU seconds of the crawling process;
   Scrapy's own start-up (a run with no sources) is measured apart;
3. ``--trials`` times, a policy published on a random site at a random moment
   while the embedded scheduler (``core.scheduler``, the jobs of ``policies``
   from ``core.schedule.JOBS``, the crawl every ``QITONG_CRAWL_EVERY_SECONDS``,
   or ``--every``) runs as in ``qitong serve``: the seconds until it is a
   ``Policy`` row, until the library's search finds it (``policies.search``)
   and until it is pushed (matched: ``Policy.matched_at`` set, with a ``Push`` row
   for each enterprise it fits). A step whose code is not in this tree yet is
   reported as not measured.

The figures go to stdout as a markdown section and are appended to
docs/benchmarks.md unless ``--no-report``. Targets: an unchanged cycle < 5 s;
new policy searchable and pushed < 30 s after it appears.
"""

import argparse
import asyncio
import hashlib
import json
import math
import multiprocessing
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import appeals as appeal_bench  # noqa: E402  (bench/appeals.py: describe_hardware)

ROOT = appeal_bench.ROOT
BENCH = Path(__file__).resolve().parent
SECRET = "bench-only-secret-key-0123456789abcdefghijkl"
SEED = 20261206
PAGE_SIZE = 5  # policies per list page
BORN = 1796083200  # 2026-12-01 00:00 UTC: the sites' pages were last changed then
SCRAPY_VERSION = "2.19.0"
SCRAPY_VENV = Path(tempfile.gettempdir()) / f"qitong-bench-scrapy-{SCRAPY_VERSION}"
UNCHANGED_TARGET = 5.0
LIMITS = {}  # --limits: the crawler's limits changed for the measured cycles (not the trials)
NEW_TARGET = 30.0


# --- the farm's content ---------------------------------------------------------------------

DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区", "平阴县", "商河县"]  # fmt: skip
BUREAUS = [
    ("工业和信息化局", "工信"),
    ("发展和改革局", "发改"),
    ("科学技术局", "科"),
    ("财政局", "财"),
    ("商务局", "商"),
    ("人力资源和社会保障局", "人社"),
    ("地方金融监督管理局", "金"),
    ("市场监督管理局", "市监"),
    ("人民政府办公室", "政办"),
    ("行政审批服务局", "审批"),
]
TOPICS = ["支持制造业企业技术改造", "促进中小企业专精特新发展", "开展高新技术企业培育", "做好稳岗返还工作", "实施研发费用后补助", "加快数字经济发展", "支持企业上市挂牌融资", "实行小微企业贷款贴息", "鼓励外贸企业开拓国际市场", "推进绿色低碳转型", "优化营商环境若干措施", "支持人才引进和培养", "落实减税降费政策", "促进消费扩容提质", "扶持创业孵化载体建设", "推动工业互联网平台应用"]  # fmt: skip
SENTENCES = [
    "为深入贯彻落实党中央、国务院和省委、省政府关于促进民营经济发展壮大的决策部署，结合我区实际，制定本措施。",
    "对当年新认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元。",
    "企业年度研发投入较上年增长部分，按不超过10%的比例给予后补助，单个企业最高不超过200万元。",
    "对符合条件的技术改造项目，按设备投资额的8%给予补助，最高不超过500万元。",
    "鼓励金融机构加大对小微企业的信贷支持力度，对按期还款的贷款给予50%的贴息。",
    "首次认定的高新技术企业，给予20万元奖励；重新认定的，给予10万元奖励。",
    "对参加境外展会的企业，按展位费的70%给予补贴，单个企业每年最高10万元。",
    "企业在境内外资本市场首发上市的，分阶段给予累计不超过600万元的奖励。",
    "失业保险稳岗返还按企业及其职工上年度实际缴纳失业保险费的60%返还。",
    "申报单位应于通知发布之日起30日内，通过“济企通”平台提交申报材料。",
    "各区县主管部门要认真做好政策宣传解读，确保政策应知尽知、应享尽享。",
    "本措施自发布之日起施行，有效期至2026年12月31日。",
    "对新建的市级以上孵化器、众创空间，按照评价结果给予最高100万元的运营补助。",
    "支持企业建设工业互联网平台，对获评省级以上示范项目的给予30万元奖励。",
    "对引进的高层次人才，按规定给予安家补贴和生活补助。",
    "落实小规模纳税人增值税减免政策，月销售额10万元以下的免征增值税。",
    "鼓励企业开展节能降碳改造，对年节能量达到1000吨标准煤以上的项目给予奖励。",
    "申报材料包括申请表、营业执照复印件、上年度财务审计报告及相关证明材料。",
    "主管部门对申报材料进行审核，必要时组织专家评审和实地核查，结果在网站公示5个工作日。",
    "对弄虚作假骗取财政资金的，依法追回资金，并纳入社会信用记录。",
    "联系人及电话：企业服务科，0531-8612XXXX。",
    "各相关单位要高度重视，精心组织，按时报送材料，逾期不予受理。",
    "对年营业收入首次突破10亿元的工业企业，给予企业经营团队一次性奖励。",
    "支持企业参与制定国际标准、国家标准和行业标准，分别给予一次性奖励。",
    "对符合条件的外贸企业，给予出口信用保险保费补贴。",
    "统筹用好各级财政资金，重点支持产业链关键环节和薄弱环节。",
    "鼓励社会资本参与设立产业投资基金，引导更多资金投向实体经济。",
    "加快推进政务服务“一网通办”，企业开办全程网上办理，一个工作日内办结。",
    "对首次进入规模以上工业企业名录的企业，给予一次性奖励5万元。",
    "建立惠企政策“免申即享”机制，符合条件的企业无需申请即可享受政策。",
]


def site_address(index):
    """The loopback address of site ``index``: 127.1.x.y, each its own host."""
    return f"127.1.{index // 250}.{index % 250 + 1}"


def site_name(index):
    district = DISTRICTS[index % len(DISTRICTS)]
    bureau, _abbreviation = BUREAUS[(index // len(DISTRICTS)) % len(BUREAUS)]
    return f"济南市{district}{bureau}（站点 {index + 1}）"


def http_date(seconds):
    return formatdate(seconds, usegmt=True)


def etag_of(body):
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


class Site:
    """One government site of the farm: its policies and the pages that show them."""

    def __init__(self, index, policies, born):
        self.index = index
        self.name = site_name(index)
        self.rng = random.Random(SEED * 7919 + index)
        self.policies = []  # newest first: (path, title)
        self.pages = {}  # path: (body, etag, last_modified)
        self.born = born
        for number in range(policies):
            self._write_policy(number + 1, born - (policies - number) * 86400)
        self._write_lists(born)
        self._put("/robots.txt", b"User-agent: *\nDisallow: /admin/\n", born)

    def _put(self, path, body, when):
        self.pages[path] = (body, etag_of(body), http_date(when))

    def _write_policy(self, number, when):
        district = DISTRICTS[self.index % len(DISTRICTS)]
        bureau, abbreviation = BUREAUS[(self.index // len(DISTRICTS)) % len(BUREAUS)]
        issuer = f"济南市{district}{bureau}"
        topic = self.rng.choice(TOPICS)
        title = f"{issuer}关于{topic}的通知（第{number}号）"
        lines = self.rng.sample(SENTENCES, self.rng.randint(8, 14))
        lines.insert(
            1,
            f"本通知适用于在{district}依法登记注册的企业，第{number}批次资金规模"
            f"{self.rng.randint(100, 9000)}万元，受理截止日期为2026年{self.rng.randint(1, 12)}月"
            f"{self.rng.randint(1, 28)}日。",
        )
        body = "".join(f"<p>{line}</p>" for line in lines)
        code = f"{self.index:04d}"
        day = time.strftime("%Y年%m月%d日", time.localtime(when))
        html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_{issuer}</title></head><body>
<div class="header">{issuer} 政府信息公开</div>
<div class="nav">首页 &gt; 政府信息公开 &gt; 政策文件</div>
<table class="xxgk">
<tr><td>索引号：</td><td>1137{code}0041/2026-{number:05d}</td><td>主题分类：</td><td>工业、交通</td></tr>
<tr><td>发文机关：</td><td>{issuer}</td><td>发文字号：</td><td>济{district[:2]}{abbreviation}发〔2026〕{number}号</td></tr>
<tr><td>成文日期：</td><td>{day}</td><td>发布日期：</td><td>{day}</td></tr>
</table>
<div class="article"><h1>{title}</h1>{body}</div>
<div class="footer">主办：{issuer} 网站标识码37010{code}</div>
</body></html>"""
        path = f"/art/2026/{number}/art_{self.index}_{number}.html"
        self._put(path, html.encode(), when)
        self.policies.insert(0, (path, title))
        return path, title

    def _write_lists(self, when):
        pages = max(1, math.ceil(len(self.policies) / PAGE_SIZE))
        for page in range(pages):
            entries = self.policies[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            items = "".join(
                f'<li><a href="{path}" target="_blank">{title}</a><span>2026-05-01</span></li>'
                for path, title in entries
            )
            following = (
                f'<a class="next" href="/list_{page + 2}.html">下一页</a>'
                if page + 1 < pages
                else ""
            )
            html = (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{self.name} 政策文件</title>'
                f'</head><body><div class="nav">首页 &gt; 政策文件</div><ul class="list">{items}</ul>'
                f'<div class="pages">{following}</div></body></html>'
            )
            self._put(self.list_path(page + 1), html.encode(), when)

    @staticmethod
    def list_path(page=1):
        return "/list.html" if page == 1 else f"/list_{page}.html"

    def publish(self, when):
        """A new policy at the top of the list: its page, and the list pages rewritten."""
        path, title = self._write_policy(len(self.policies) + 1, when)
        self._write_lists(when)
        return path, title


# --- the farm's server ----------------------------------------------------------------------


class Farm:
    """Every site's answers, prepared once; counts what it answers."""

    def __init__(self, sites):
        self.sites = sites
        self.stats = {"requests": 0, "not_modified": 0, "robots": 0, "lists": 0, "details": 0}
        self.answers = {}  # (site, path): (full 200 response without Date, etag, last_modified)
        self._date_second = 0
        self._date_line = b""
        for site in sites:
            self._prepare(site)

    def _prepare(self, site):
        for path, (body, etag, last_modified) in site.pages.items():
            kind = "text/plain" if path.endswith(".txt") else "text/html; charset=utf-8"
            head = (
                "HTTP/1.1 200 OK\r\n"
                f"Content-Type: {kind}\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"ETag: {etag}\r\n"
                f"Last-Modified: {last_modified}\r\n"
                "Cache-Control: max-age=0\r\n"
            )
            self.answers[(site.index, path)] = (head.encode(), body, etag, last_modified)

    def publish(self, index):
        site = self.sites[index]
        path, title = site.publish(time.time())
        self._prepare(site)
        return {"site": index, "url": f"http://{site_address(index)}", "path": path, "title": title}

    def date(self):
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date_line = f"Date: {http_date(now)}\r\n".encode()
        return self._date_line

    def answer(self, index, path, headers):
        self.stats["requests"] += 1
        if path == "/robots.txt":
            self.stats["robots"] += 1
        elif path.startswith("/list"):
            self.stats["lists"] += 1
        else:
            self.stats["details"] += 1
        found = self.answers.get((index, path))
        if found is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + self.date() + b"\r\n"
        head, body, etag, last_modified = found
        if headers.get(b"if-none-match", b"").decode() == etag or (
            b"if-none-match" not in headers
            and headers.get(b"if-modified-since", b"").decode() == last_modified
        ):
            self.stats["not_modified"] += 1
            return (
                f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nCache-Control: max-age=0\r\n".encode()
                + self.date()
                + b"\r\n"
            )
        return head + self.date() + b"\r\n" + body


class _Connection(asyncio.Protocol):
    def __init__(self, farm, index):
        self.farm, self.index = farm, index
        self.buffer = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.split(b"\r\n")
            try:
                _method, target, _version = lines[0].split(b" ", 2)
            except ValueError:
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            path = target.decode("latin-1").split("?", 1)[0]
            self.transport.write(self.farm.answer(self.index, path, headers))
            if headers.get(b"connection", b"").lower() == b"close":
                self.transport.close()
                return


def serve_farm(channel, count, policies, port):
    """The farm process: ``count`` sites on ``port`` of their own addresses, until told to stop."""
    born = BORN  # fixed: the same farm every run, so a kept data folder can be read again
    farm = Farm([Site(index, policies, born) for index in range(count)])

    async def main():
        loop = asyncio.get_running_loop()
        servers = []
        for index in range(count):
            servers.append(
                await loop.create_server(
                    lambda index=index: _Connection(farm, index),
                    host=site_address(index),
                    port=port,
                    reuse_address=True,
                    backlog=256,
                )
            )
        stopped = loop.create_future()

        def command():
            message = channel.recv()
            if message[0] == "publish":
                channel.send(farm.publish(message[1]))
            elif message[0] == "stats":
                times = os.times()
                channel.send(dict(farm.stats, cpu=times.user + times.system))
            elif message[0] == "stop":
                stopped.set_result(None)

        loop.add_reader(channel.fileno(), command)
        channel.send(("ready", [(index, site_address(index), farm.sites[index].name) for index in range(count)]))  # fmt: skip
        await stopped
        for server in servers:
            server.close()

    asyncio.run(main())


def free_port():
    """A port free on the farm's first address (the others are used by nobody else)."""
    import socket

    with socket.socket() as probe:
        probe.bind((site_address(0), 0))
        return probe.getsockname()[1]


class FarmProcess:
    def __init__(self, count, policies, port=None):
        self.port = port or free_port()
        self.channel, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("fork").Process(
            target=serve_farm, args=(child, count, policies, self.port), daemon=True
        )
        self.process.start()
        if not self.channel.poll(600):
            raise RuntimeError("the farm did not start")
        _ready, self.sites = self.channel.recv()

    def list_url(self, index):
        return f"http://{site_address(index)}:{self.port}{Site.list_path()}"

    def ask(self, *message):
        self.channel.send(message)
        return self.channel.recv()

    def stats(self):
        return self.ask("stats")

    def publish(self, index):
        return self.ask("publish", index)

    def stop(self):
        self.channel.send(("stop",))
        self.process.join(10)


# --- Qitong's side --------------------------------------------------------------------------


class QueryCount:
    """Counts the database statements of this thread's connection."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def qitong_cycle(farm):
    """One ``run_cycle``: its seconds, CPU, statements, the farm's requests, the summary."""
    from django.db import connection

    from qitong.policies import crawler

    before = farm.stats()
    counter = QueryCount()
    cpu, wall = time.process_time(), time.perf_counter()
    limits = crawler.Limits(**LIMITS) if LIMITS else crawler.LIMITS
    with connection.execute_wrapper(counter):
        summary = crawler.run_cycle(limits=limits)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = farm.stats()
    return {
        "seconds": wall,
        "cpu": cpu,
        "queries": counter.count,
        "requests": after["requests"] - before["requests"],
        "not_modified": after["not_modified"] - before["not_modified"],
        "farm_cpu": after["cpu"] - before["cpu"],
        "summary": summary,
    }


def add_sources(farm):
    from qitong.orgs.models import Region
    from qitong.policies import actions
    from qitong.policies.models import PolicySource

    PolicySource.objects.all().delete()  # the farm's sources only: nothing reaches the internet
    city = Region.objects.filter(code="370100").first()
    for index, _address, name in farm.sites:
        actions.add_source(
            name=name,
            list_url=farm.list_url(index),
            link_selector="ul.list a",
            next_selector="a.next",
            level="district",
            region=city,
        )
    return PolicySource.objects.count()


def profile_cycle(farm):
    """One more unchanged cycle under cProfile: where its CPU goes, printed."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    cycle = qitong_cycle(farm)
    profiler.disable()
    print(f"profiled cycle: {json.dumps(cycle, ensure_ascii=False)}")
    for order in ("tottime", "cumulative"):
        pstats.Stats(profiler).sort_stats(order).print_stats(30)


# --- Scrapy ---------------------------------------------------------------------------------


def scrapy_python():
    """The Python of a virtualenv with Scrapy, made (pip, from the registry) the first time."""
    python = SCRAPY_VENV / "bin" / "python"
    if not python.exists():
        print(f"installing Scrapy {SCRAPY_VERSION} into {SCRAPY_VENV} …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SCRAPY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"scrapy=={SCRAPY_VERSION}"],
            check=True,
        )
    return python


def scrapy_run(python, farm, sources_file, state, label):
    """One run of the spider as its own process: seconds, CPU, the farm's requests, stats."""
    before = farm.stats() if farm else None
    wall = time.perf_counter()
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "scrapy",
            "runspider",
            str(BENCH / "crawl_scrapy.py"),
            "-a",
            f"sources={sources_file}",
            "-a",
            f"state={state}",
            "--loglevel",
            "WARNING",
        ],
        cwd=state,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(state) / f"{label}.log", "w"),  # noqa: SIM115
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - wall
    if process.returncode:
        raise RuntimeError(f"scrapy failed ({process.returncode}); see {state}/{label}.log")
    stats = json.loads((Path(state) / "stats.json").read_text())
    result = {
        "seconds": stats["elapsed_time_seconds"],
        "process_seconds": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "items": stats.get("item_scraped_count", 0),
        "stats": stats,
    }
    if farm:
        after = farm.stats()
        result["requests"] = after["requests"] - before["requests"]
        result["not_modified"] = after["not_modified"] - before["not_modified"]
        result["farm_cpu"] = after["cpu"] - before["cpu"]
    return result


# --- a new policy, from its publication to its push ----------------------------------------


def search_step():
    """How the library's search is asked for a title, as its page asks; None while absent.

    ``policies.filters.PolicyFilter`` makes the index's query of a visitor's words and
    ``policies.search.Results`` reads its first page, as the library's page does.
    Returns (function, why not) — the function None when this tree has no search yet.
    """
    try:
        from django.contrib.auth.models import AnonymousUser

        from qitong.policies import filters, search

        visitor = AnonymousUser()
        filters.PolicyFilter, search.Results  # noqa: B018  (both there, or not measured)
    except (ImportError, AttributeError) as exc:
        return None, f"no library search in this tree ({exc})"

    def found(policy):
        form = filters.PolicyFilter({"q": policy.title})
        results = search.Results(visitor, form.query(visitor), words=form.words, passages=False)
        return any(shown.pk == policy.pk for shown in results[0:20])

    return found, ""


def policy_jobs(every):
    """The policy library's periodic jobs as the embedded scheduler runs them."""
    from qitong.core.schedule import JOBS

    # The daily ones (the classifier's training) are not on a new policy's way.
    jobs = [
        job
        for job in JOBS
        if job.task.startswith("qitong.policies.") and job.every.total_seconds() < 3600
    ]
    if every:
        assert any(job.every.total_seconds() == every for job in jobs), "--every not applied"
    return jobs


def trial(farm, rng, sites, found_by_search, deadline=300.0):
    """Publish one policy and wait for it: seconds to its row, its search hit and its push."""
    from django.db import close_old_connections

    from qitong.policies.addresses import canonical
    from qitong.policies.models import Page, Policy, Push

    published = farm.publish(rng.randrange(sites))
    start = time.perf_counter()
    # Its own page's address: titles repeat across the farm's sites (same issuer, same topic).
    page = Page.objects.filter(
        url=canonical(f"{published['url']}:{farm.port}{published['path']}"), policy__isnull=False
    )
    times = {"row": None, "search": None, "push": None}
    policy = None
    while time.perf_counter() - start < deadline:
        close_old_connections()
        elapsed = time.perf_counter() - start
        if policy is None:
            found = page.values_list("policy", flat=True).first()
            policy = Policy.objects.get(pk=found) if found else None
            if policy is not None:
                times["row"] = elapsed
        if policy is not None:
            if found_by_search and times["search"] is None and found_by_search(policy):
                times["search"] = elapsed
            # Matched (``matched_at``): pushed to every enterprise it fits, if any.
            if times["push"] is None and Policy.objects.filter(pk=policy.pk, matched_at__isnull=False).exists():  # fmt: skip
                times["push"] = elapsed
            if (times["search"] is not None or not found_by_search) and times["push"] is not None:
                break
        time.sleep(0.1)
    times["pushes"] = Push.objects.filter(policy=policy).count() if policy else 0
    times["title"] = published["title"]
    return times


def latency_trials(args, farm):
    from qitong.core.scheduler import Scheduler
    from qitong.policies import actions

    # What the push job does after a first cycle: every policy it found matched once, so
    # that a new policy is not queued behind thousands (the push takes the oldest first).
    backlog = None
    if hasattr(actions, "push_new_policies"):
        began = time.perf_counter()
        backlog = actions.push_new_policies() | {"seconds": time.perf_counter() - began}
        print(f"  the first cycle's policies matched: {json.dumps(backlog)}", flush=True)
    jobs = policy_jobs(args.every)
    crawl_every = next(job.every for job in jobs if job.name == "policy-crawl").total_seconds()
    scheduler = Scheduler(jobs)
    scheduler.start()
    rng = random.Random()  # sites and moments differ from run to run (a kept folder's too)
    found_by_search, why_not = search_step()
    results = []
    try:
        time.sleep(3)  # the first cycle starts at once; publish within the schedule's rhythm
        for number in range(args.trials):
            time.sleep(rng.uniform(0, crawl_every))
            result = trial(farm, rng, len(farm.sites), found_by_search)
            results.append(result)
            print(f"  trial {number + 1}: {json.dumps(result, ensure_ascii=False)}", flush=True)
    finally:
        scheduler.stop()
        for thread in scheduler.threads:
            thread.join(600)
    return {
        "backlog": backlog,
        "jobs": [(job.name, job.every.total_seconds()) for job in jobs],
        "crawl_every": crawl_every,
        "search": found_by_search is not None,
        "why_not": why_not,
        "results": results,
    }


# --- the report -----------------------------------------------------------------------------


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def figure(value, digits=1):
    return "—" if value is None else f"{value:,.{digits}f}"


def report(args, command, machine, measured):
    first, quiet, scrapy = measured["first"], measured["quiet"], measured.get("scrapy")
    lines = [
        f"## Policy crawler at {args.sources:,} sources on a loopback farm ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {machine}; load average before the run {measured['load']}.",
        f"Command: `{command}` (commit {appeal_bench.git('rev-parse', '--short', 'HEAD')}).",
        "",
        f"Farm: {args.sources:,} sites, one per loopback address (127.1.x.y), one source each, "
        f"{args.policies} policies a site ({PAGE_SIZE} to a list page, a disclosure page each), "
        "ETag and Last-Modified on every page, `Cache-Control: max-age=0`; one asyncio process on "
        "the same two cores. Qitong: `crawler.run_cycle()` with its default limits on SQLite "
        "(embedded deployment), in the measuring process. Scrapy "
        f"{SCRAPY_VERSION}: `bench/crawl_scrapy.py`, its own process (robots.txt obeyed, "
        "HttpCacheMiddleware with the RFC 2616 policy so that every page is revalidated with "
        "If-None-Match/If-Modified-Since, detail pages already scraped skipped as "
        "scrapy-deltafetch does, 64 requests at once, 2 per host, 0.25 s between a host's "
        "requests, as Qitong's limits).",
        "",
        "| cycle | crawler | seconds | CPU s | requests | of them 304 | new | statements | farm CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines.append(
        f"| first (all new) | Qitong | {figure(first['seconds'])} | {figure(first['cpu'])} | "
        f"{first['requests']:,} | {first['not_modified']:,} | {first['summary']['new']:,} | "
        f"{first['queries']:,} | {figure(first['farm_cpu'])} |"
    )
    if scrapy:
        run = scrapy["first"]
        lines.append(
            f"| first (all new) | Scrapy | {figure(run['seconds'])} | {figure(run['cpu'])} | "
            f"{run['requests']:,} | {run['not_modified']:,} | {run['items']:,} | | "
            f"{figure(run['farm_cpu'])} |"
        )
    for number, cycle in enumerate(quiet, 1):
        lines.append(
            f"| unchanged {number} | Qitong | {figure(cycle['seconds'], 2)} | "
            f"{figure(cycle['cpu'], 2)} | {cycle['requests']:,} | {cycle['not_modified']:,} | "
            f"{cycle['summary']['new']} | {cycle['queries']:,} | {figure(cycle['farm_cpu'], 2)} |"
        )
        if scrapy:
            run = scrapy["quiet"][number - 1]
            lines.append(
                f"| unchanged {number} | Scrapy | {figure(run['seconds'], 2)} | "
                f"{figure(run['cpu'], 2)} | {run['requests']:,} | {run['not_modified']:,} | "
                f"{run['items']} | | {figure(run['farm_cpu'], 2)} |"
            )
    ours = median([cycle["seconds"] for cycle in quiet])
    lines += ["", f"Unchanged cycle, Qitong: median {figure(ours, 2)} s (target < {UNCHANGED_TARGET:g} s: {'met' if ours < UNCHANGED_TARGET else 'NOT met'})."]  # fmt: skip
    if scrapy:
        theirs = median([run["seconds"] for run in scrapy["quiet"]])
        their_cpu = median([run["cpu"] for run in scrapy["quiet"]])
        our_cpu = median([cycle["cpu"] for cycle in quiet])
        startup = scrapy["startup"]
        lines.append(
            f"Scrapy: median {figure(theirs, 2)} s by its own clock (elapsed_time_seconds; the "
            f"process {figure(median([run['process_seconds'] for run in scrapy['quiet']]), 2)} s "
            f"with its start-up, which alone — a run with no sources — takes "
            f"{figure(startup['process_seconds'], 2)} s and {figure(startup['cpu'], 2)} CPU s). "
            f"Ratio Scrapy / Qitong: {figure(theirs / ours, 1)}× the time, "
            f"{figure(their_cpu / our_cpu, 1)}× the CPU (whole processes)."
        )
    trials = measured.get("trials")
    if trials:
        results = trials["results"]
        lines += [
            "",
            f"A new policy, from its publication on a random site at a random moment to its row, "
            f"its search hit and its push, with the embedded scheduler running "
            f"{', '.join(f'{name} every {every:g} s' for name, every in trials['jobs'])} "
            f"(it wakes every 5 s):",
            "",
            "| trial | row s | searchable s | pushed (matched) s | enterprises it fits |",
            "|---|---:|---:|---:|---:|",
        ]
        for number, result in enumerate(results, 1):
            search = figure(result["search"]) if trials["search"] else "not measured"
            lines.append(
                f"| {number} | {figure(result['row'])} | {search} | {figure(result['push'])} | "
                f"{result['pushes']} |"
            )
        rows = [result["row"] for result in results]
        done = [
            max(result["search"] or 0, result["push"] or 0)
            if (result["search"] is not None or not trials["search"]) and result["push"] is not None
            else None
            for result in results
        ]
        lines.append("")
        lines.append(
            f"Median to its row {figure(median(rows))} s, worst {figure(max(filter(None, rows), default=None))} s; "
            + (
                f"searchable and pushed: median {figure(median(done))} s, worst "
                f"{figure(max(filter(None, done), default=None))} s (target < {NEW_TARGET:g} s)."
                if all(value is not None for value in done) and trials["search"]
                else "searchable and pushed: not measured "
                + (
                    f"({trials['why_not']})"
                    if not trials["search"]
                    else "(not matched within the trial's 300 s)"
                )
                + "."
            )
        )
    return "\n".join(lines) + "\n"


# --- the run --------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, help="sites, one source each")
    parser.add_argument("--policies", type=int, default=6, help="policies on each site")
    parser.add_argument("--cycles", type=int, default=3, help="unchanged cycles of each crawler")
    parser.add_argument("--trials", type=int, default=5, help="new policies published")
    parser.add_argument(
        "--every", type=int, help="QITONG_CRAWL_EVERY_SECONDS for the trials (default: its own)"
    )
    parser.add_argument("--no-scrapy", action="store_true", help="leave out the reference")
    parser.add_argument("--keep", metavar="DIR", help="keep the data folder here")
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="a folder kept by a run with --trials 0: its first cycles are not run again",
    )
    parser.add_argument(
        "--limits",
        metavar="NAME=VALUE,…",
        default="",
        help="crawler.Limits for the measured cycles, e.g. sources_at_once=64",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more unchanged cycle of Qitong's"
    )
    parser.add_argument(
        "--no-report", action="store_true", help="print the figures; leave docs/benchmarks.md"
    )
    return parser.parse_args()


def main():
    args = parse_args()
    for item in filter(None, args.limits.split(",")):
        name, value = item.split("=")
        LIMITS[name] = float(value) if "." in value else int(value)
    command = shlex.join([".venv/bin/python", "bench/crawl.py", *sys.argv[1:]])
    kept = args.keep or args.reuse
    folder = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="qitong-crawl-"))
    folder.mkdir(parents=True, exist_ok=True)
    port = None
    if args.reuse:
        farm_file = json.loads((folder / "farm.json").read_text())
        if farm_file["published"]:
            sys.exit(f"{folder}: policies were published there; its farm cannot be rebuilt")
        args.sources, args.policies, port = farm_file["sources"], farm_file["policies"], farm_file["port"]  # fmt: skip
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"starting the farm: {args.sources:,} sites × {args.policies} policies", flush=True)
    farm = FarmProcess(args.sources, args.policies, port)  # forked before Django is set up
    farm_file = {"sources": args.sources, "policies": args.policies, "port": farm.port}
    (folder / "farm.json").write_text(json.dumps(farm_file | {"published": bool(args.trials)}))
    try:
        run(args, folder, farm, command, load)
    finally:
        farm.stop()
        if not kept:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, folder, farm, command, load):
    os.environ.update(
        QITONG_DATA_DIR=str(folder / "data"),
        QITONG_SECRET_KEY=SECRET,
        QITONG_REDIS_URL="",
        QITONG_DATABASE_URL="",
    )
    if args.every:
        os.environ["QITONG_CRAWL_EVERY_SECONDS"] = str(args.every)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qitong.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from qitong.demo.city import load_demo_city

    settings.MEDIA_ROOT = str(folder / "media")
    measured = {"load": load}
    if not args.reuse:
        call_command("migrate", verbosity=0)
        load_demo_city()
        print(f"{add_sources(farm):,} sources", flush=True)

    scrapy = None
    if not args.no_scrapy:
        python = scrapy_python()
        state = folder / "scrapy"
        state.mkdir(exist_ok=True)
        sources_file = state / "sources.json"
        sources_file.write_text(json.dumps([farm.list_url(index) for index, *_ in farm.sites]))
        empty = folder / "scrapy-empty"
        empty.mkdir(exist_ok=True)
        (empty / "sources.json").write_text("[]")
        scrapy = {
            "startup": scrapy_run(python, None, empty / "sources.json", empty, "startup"),
            "quiet": [],
        }

    if args.reuse:
        measured["first"] = json.loads((folder / "first.json").read_text())
        if scrapy:
            scrapy["first"] = measured["first"].pop("scrapy")
    else:
        print("first cycle (all new) …", flush=True)
        measured["first"] = qitong_cycle(farm)
        print(f"  Qitong {json.dumps(measured['first'], ensure_ascii=False)}", flush=True)
        if scrapy:
            scrapy["first"] = scrapy_run(python, farm, sources_file, state, "first")
            print(f"  Scrapy {scrapy['first']['seconds']:.1f} s, {scrapy['first']['requests']:,} requests", flush=True)  # fmt: skip
        first = measured["first"] | {"scrapy": scrapy["first"] if scrapy else None}
        (folder / "first.json").write_text(json.dumps(first, default=str))
    if args.profile:
        profile_cycle(farm)
    measured["quiet"] = []
    for number in range(args.cycles):
        cycle = qitong_cycle(farm)
        measured["quiet"].append(cycle)
        print(f"unchanged {number + 1}: Qitong {json.dumps(cycle, ensure_ascii=False)}", flush=True)
        if scrapy:
            run_ = scrapy_run(python, farm, sources_file, state, f"quiet-{number + 1}")
            scrapy["quiet"].append(run_)
            summary = {key: value for key, value in run_.items() if key != "stats"}
            print(f"unchanged {number + 1}: Scrapy {json.dumps(summary)}", flush=True)
    measured["scrapy"] = scrapy
    if args.trials:
        print("new policies …", flush=True)
        measured["trials"] = latency_trials(args, farm)

    machine = f"{appeal_bench.describe_hardware()}, SQLite"
    text = report(args, command, machine, measured)
    print()
    print(text)
    if not args.no_report:
        with open(ROOT / "docs" / "benchmarks.md", "a") as docs:
            docs.write("\n" + text)
    (folder / "measured.json").write_text(json.dumps(measured, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
