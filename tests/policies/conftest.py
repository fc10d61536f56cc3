"""Real HTTP sites on loopback for the crawler: each a threaded ``http.server`` on a free port.

A site serves what a test puts in its ``routes`` (path → ``Route``) and counts
every request per path (``hits``), so a test can say "the second cycle read
no detail page" by counting, not by trusting the crawler's own report.
"""

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qitong.policies import actions, crawler

# Short limits, so hostile sites are cut off within a test's patience.
FAST = crawler.Limits(
    host_interval=0.0,
    connect_seconds=2.0,
    read_seconds=2.0,
    page_seconds=2.0,
    source_seconds=8.0,
    page_bytes=200_000,
    attachment_bytes=50_000,
)


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    drip: float = 0.0  # seconds between chunks of 100 bytes (a slow or endless body)
    endless: bool = False  # keeps sending until the client gives up
    delay: float = 0.0  # seconds before the answer starts


class Site:
    def __init__(self):
        self.routes = {}
        self.hits = Counter()
        self.requests = []  # (path, headers)
        self.stopping = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                site.hits[self.path] += 1
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    site.answer(self, route)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def page(self, path, html, **options):
        """Serve ``html`` (text, encoded as UTF-8 unless bytes) at ``path``."""
        body = html.encode("utf-8") if isinstance(html, str) else html
        self.routes[path] = Route(body, **options)

    def detail_hits(self, prefix="/doc"):
        return sum(count for path, count in self.hits.items() if path.startswith(prefix))

    def answer(self, handler, route):
        if route.delay:
            self.stopping.wait(route.delay)
        if route.etag and handler.headers.get("If-None-Match") == route.etag:
            handler.send_response(304)
            handler.end_headers()
            return
        if route.last_modified and handler.headers.get("If-Modified-Since") == route.last_modified:
            handler.send_response(304)
            handler.end_headers()
            return
        handler.send_response(route.status)
        if route.content_type:
            handler.send_header("Content-Type", route.content_type)
        for name, value in route.headers.items():
            handler.send_header(name, value)
        if route.etag:
            handler.send_header("ETag", route.etag)
        if route.last_modified:
            handler.send_header("Last-Modified", route.last_modified)
        if not (route.drip or route.endless):
            handler.send_header("Content-Length", str(len(route.body)))
        handler.end_headers()
        if route.endless:
            while not self.stopping.is_set():
                handler.wfile.write(b"<p>" + b"x" * 100 + b"</p>\n")
                handler.wfile.flush()
                time.sleep(route.drip or 0.05)
            return
        if route.drip:
            for start in range(0, len(route.body), 100):
                handler.wfile.write(route.body[start : start + 100])
                handler.wfile.flush()
                if self.stopping.wait(route.drip):
                    return
            return
        handler.wfile.write(route.body)

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites():
    """Start as many loopback sites as a test asks for: ``sites()`` returns a new one."""
    started = []

    def start():
        site = Site()
        started.append(site)
        return site

    yield start
    for site in started:
        site.stop()


@pytest.fixture
def site(sites):
    return sites()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def add_source(site, path="/list", **values):
    values.setdefault("name", f"站点 {site.port}")
    values.setdefault("link_selector", "ul.list a")
    values.setdefault("next_selector", "a.next")
    return actions.add_source(list_url=site.url(path), **values)


def crawl(source_id=None, limits=FAST):
    return crawler.run_cycle(source_id, limits=limits)


def list_page(links, next_href=None, charset_meta=""):
    """An HTML list page: ``links`` as (href, title) under ``ul.list``; an optional next link."""
    items = "".join(
        f'<li><a href="{href}">{title}</a><span>2024-05-01</span></li>' for href, title in links
    )
    more = f'<a class="next" href="{next_href}">下一页</a>' if next_href else ""
    return f"<html><head>{charset_meta}<title>政策文件</title></head><body><ul class='list'>{items}</ul>{more}</body></html>"


def detail_page(title, body, *, number="", issuer="", extra="", charset_meta=""):
    """A disclosure page: the metadata table most sites carry, then the article."""
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n") if line.strip())
    return f"""<html><head>{charset_meta}<title>{title}_政府信息公开</title></head><body>
<div class="nav">首页 &gt; 政府信息公开 &gt; 政策文件</div>
<table class="xxgk">
<tr><td>索引号：</td><td>11370100004188/2024-00123</td><td>主题分类：</td><td>工业、交通</td></tr>
<tr><td>发文机关：</td><td>{issuer}</td><td>发文字号：</td><td>{number}</td></tr>
<tr><td>成文日期：</td><td>2024年04月28日</td><td>发布日期：</td><td>2024年05月01日</td></tr>
</table>
<div class="article"><h1>{title}</h1>{paragraphs}{extra}</div>
<div class="footer">主办：济南市人民政府办公厅 网站标识码3701000001</div>
</body></html>"""
