"""One crawl cycle: every due source read at once, politely, and nothing stalled by one site.

The cycle has three steps. It loads from the database what it needs to know
(the due sources, the pages each has seen with their validators and list
entries); it reads the web asynchronously (``httpx``), each source its own
task under its own time limit, every request through its host's gate (a few
at a time, spaced) and ``robots.txt``; then it writes what it found through
``policies.actions``. No database access happens while the network is read.

A list is read from its first page along its "next" links until a page shows
an entry already known; a known entry whose list text has not changed is not
fetched again, a changed one is asked for conditionally (ETag,
Last-Modified), and so is every list page. A hostile answer is cut off and
logged: a body past the size cap is truncated, one that keeps dripping past
the time cap is dropped, redirects stop after a few hops, and binary content
is refused before it is read.
"""

import asyncio
import functools
import hashlib
import logging
import select
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import h11
import httpcore
import httpx
from django.db.models import Q
from django.utils.translation import gettext as _
from protego import Protego

from qitong.core import clock
from qitong.policies import actions, addresses, dedup, extract
from qitong.policies.addresses import canonical, host_of
from qitong.policies.models import Attachment, CrawlLease, Page, PolicySource, RobotsTxt

log = logging.getLogger(__name__)

USER_AGENT = "QitongPolicyCrawler/1.0 (+https://github.com/qitong)"
LEASE = "crawl"
ROBOTS_KEPT = timedelta(days=1)
PAGE_TYPES = ("text/", "application/xhtml", "application/xml", "application/rss", "application/atom", "application/json")  # fmt: skip


@dataclass(frozen=True)
class Limits:
    """How much one cycle may ask of each site and of this machine."""

    per_host: int = 2  # requests in flight to one host
    host_interval: float = 0.25  # seconds between two request starts to one host
    total: int = 64  # requests in flight overall
    connect_seconds: float = 5.0
    read_seconds: float = 10.0  # silence allowed between two chunks
    page_seconds: float = 20.0  # a whole answer, however it drips
    source_seconds: float = 60.0  # one source's share of a cycle
    sources_at_once: int = 32  # sources read at the same time (each one's clock starts then)
    cycle_seconds: float = 600.0  # sources not started by then wait for the next cycle
    page_bytes: int = 3 * 1024 * 1024  # a page past this is cut here
    attachment_bytes: int = 20 * 1024 * 1024  # an attachment past this is not kept
    redirects: int = 5
    list_pages: int = 20  # list pages followed per source per cycle
    details: int = 300  # detail pages read per source per cycle
    max_crawl_delay: float = 10.0  # the most of a robots.txt Crawl-delay obeyed


LIMITS = Limits()


class FetchError(Exception):
    """A page that could not be read; the message is for the run's report."""


class InsideError(FetchError):
    """An address inside a private network, asked for by a source that is not inside one."""

    def __init__(self, url):
        super().__init__(_("地址指向内部网络，已拒绝：%(url)s") % {"url": url})


class _InsideAddress(Exception):
    """Raised by ``PublicOnly`` under httpx, which passes it through; becomes ``InsideError``."""


class _Stream(httpcore.AsyncNetworkStream):
    """A connection on asyncio's own streams (``AsyncioBackend``)."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    async def read(self, max_bytes, timeout=None):
        try:
            async with asyncio.timeout(timeout):
                return await self.reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout("read") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer, timeout=None):
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self.writer.write(buffer)
                await self.writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout("write") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self):
        self.writer.close()

    async def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        try:
            async with asyncio.timeout(timeout):
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            raise httpcore.ConnectTimeout("TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            self.writer.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info):
        if info == "is_readable":  # the pool's test of an idle connection before reusing it
            # Closed by the server, or something arrived unasked: not to be reused.
            return self.writer.is_closing() or self.reader.at_eof() or _has_data(self.writer)
        names = {"ssl_object": "ssl_object", "client_addr": "sockname", "server_addr": "peername"}
        names["socket"] = "socket"
        return self.writer.get_extra_info(names[info]) if info in names else None


def _has_data(writer):
    sock = writer.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return True
    poll = select.poll()
    poll.register(sock.fileno(), select.POLLIN)
    return bool(poll.poll(0))


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's connections on asyncio's streams instead of anyio's.

    anyio wraps every read and write of a connection in a cancel scope of its own;
    in the profile of an unchanged cycle (one request per host, a new connection
    each) anyio was a sixth of the CPU, and this backend takes about a quarter off
    each request's. Timeouts stay httpcore's (``asyncio.timeout`` per operation).
    """

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(reader, writer)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("the crawler does not read local sockets")

    async def sleep(self, seconds):
        await asyncio.sleep(seconds)


class PublicOnly(httpcore.AsyncNetworkBackend):
    """Connects only to addresses on the public internet, checked where the connection is made.

    ``addresses.is_inside`` sees only what a URL writes out. A name can
    resolve to an internal address (a public DNS record pointing at 10.0.0.8
    or the cloud's metadata address, ``127.1``, a name whose answer changes
    between a check and the connection); so the name is resolved here, every
    address it gives is checked, and the connection goes to a checked address.
    TLS still verifies the name itself: httpcore sends the URL's host as SNI.
    One lookup per new connection, which the crawl's keep-alive pool makes rare.
    """

    def __init__(self):
        self._backend = AsyncioBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        ips = list(dict.fromkeys(info[4][0] for info in found))
        if not ips or any(addresses.is_inside_address(ip) for ip in ips):
            raise _InsideAddress(host)
        error = None
        for ip in ips:
            try:
                return await self._backend.connect_tcp(
                    ip, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise _InsideAddress(path)  # a local socket is never a public site

    async def sleep(self, seconds):
        await self._backend.sleep(seconds)


@functools.cache
def _tls_context():
    """One TLS context for every connection of the process: loading the CA bundle costs
    about 0.1 s of CPU, which a context per client paid twice a cycle."""
    return httpx.create_ssl_context(trust_env=False)


def http_client(limits, *, public_only=True):
    """The crawl's HTTP client; ``public_only``: it connects to public addresses only."""
    transport = httpx.AsyncHTTPTransport(
        verify=_tls_context(),
        trust_env=False,
        limits=httpx.Limits(max_connections=limits.total, max_keepalive_connections=limits.total),
    )
    # httpx takes no network backend of its own; its pool opens every connection through
    # this attribute (pinned by test_hostile's name-resolving tests).
    transport._pool._network_backend = PublicOnly() if public_only else AsyncioBackend()
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(limits.read_seconds, connect=limits.connect_seconds, pool=None),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
    )


@dataclass
class Response:
    url: str  # after redirects
    status: int
    body: bytes = b""
    charset: str | None = None
    etag: str = ""
    last_modified: str = ""
    truncated: bool = False
    location: str = ""  # where a redirect points


@dataclass
class Detail:
    """A detail page read this cycle, ready for ``actions.record_document``."""

    url: str
    key: str
    listed_as: str
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    document: extract.Document | None = None  # None: answered 304, not changed
    files: list = field(default_factory=list)  # [(url, name, bytes)]


@dataclass
class SourceResult:
    source_id: int
    name: str
    fetched: int = 0
    failed: str = ""  # why the list could not be read: the source's failure
    skipped: bool = False  # the cycle's time ran out before this source's turn came
    resume_url: str | None = None  # where the backfill goes on ("" when done; None: unchanged)
    # Some entry could not be read: the list pages' validators are not kept, so that the
    # next cycle reads the list again instead of hearing 304 and never retrying the entry.
    incomplete: bool = False
    errors: list = field(default_factory=list)
    lists: dict = field(default_factory=dict)  # key: (etag, last_modified)
    details: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def quiet(self):
        """Read fine and found nothing (its first list page unchanged): written in bulk."""
        return self.resume_url is None and not (
            self.failed or self.skipped or self.errors or self.lists or self.details
        )


class _Host:
    """A host's gate: a few requests in flight, their starts spaced out."""

    def __init__(self, limits):
        self.slots = asyncio.Semaphore(limits.per_host)
        self.interval = limits.host_interval
        self.next_start = 0.0
        self.lock = asyncio.Lock()
        self.robots = None  # a Protego, None (all allowed), or the FetchError to raise
        self.robots_read = False
        self.robots_lock = asyncio.Lock()

    async def turn(self):
        loop = asyncio.get_running_loop()
        async with self.lock:
            now = loop.time()
            wait = self.next_start - now
            self.next_start = max(now, self.next_start) + self.interval
        if wait > 0:
            await asyncio.sleep(wait)


class Fetcher:
    """Every request of a cycle: gated per host and overall, robots-checked, capped."""

    def __init__(self, client, limits, robots=None, inside_client=None):
        self.client = client  # for every source not inside a private network
        self.inside_client = inside_client or client  # for sources that are (``get(inside=)``)
        self.limits = limits
        self.hosts = {}
        self.overall = asyncio.Semaphore(limits.total)
        self.robots_known = robots or {}  # host: (status, body), read within the last day
        self.robots_read = {}  # host: (status, body), read this cycle, to keep
        self.backends = {False: PublicOnly(), True: AsyncioBackend()}  # by ``inside``

    def _host(self, url):
        key = host_of(url)
        if key not in self.hosts:
            self.hosts[key] = _Host(self.limits)
        return self.hosts[key]

    async def _robots(self, url, inside):
        """The host's robots.txt, read once a cycle (RFC 9309: unreachable means stay out)."""
        host = self._host(url)
        async with host.robots_lock:
            if not host.robots_read:
                await self._read_robots(host, url, inside)
                host.robots_read = True
        if isinstance(host.robots, FetchError):
            raise host.robots
        if host.robots is not None and not host.robots.can_fetch(url, USER_AGENT):
            raise FetchError(_("robots.txt 不允许抓取 %(url)s") % {"url": url})

    async def _read_robots(self, host, url, inside):
        """Read the host's robots.txt into ``host.robots`` (from the day's copy if there is one)."""
        key = host_of(url)
        if key in self.robots_known:
            status, text = self.robots_known[key]
            answer = Response(url, status, text.encode())
        else:
            try:
                answer = await self._request(
                    urljoin(key, "/robots.txt"), {}, cap=512 * 1024, page=True, inside=inside
                )
            except InsideError:
                raise
            except FetchError as exc:
                host.robots = FetchError(
                    _("robots.txt 无法读取（%(error)s），按规范暂不抓取该站点") % {"error": exc}
                )
                return
            if answer.status < 500:  # a server error is asked again next cycle
                self.robots_read[key] = (answer.status, answer.body.decode("utf-8", "replace"))
        if answer.status >= 500:
            host.robots = FetchError(
                _("robots.txt 无法读取（HTTP %(status)s），按规范暂不抓取该站点")
                % {"status": answer.status}
            )
        elif answer.status >= 400:
            host.robots = None  # no robots.txt: everything allowed
        else:
            host.robots = Protego.parse(answer.body.decode("utf-8", "replace"))
            delay = host.robots.crawl_delay(USER_AGENT)
            if delay:
                host.interval = max(host.interval, min(float(delay), self.limits.max_crawl_delay))

    async def get(self, url, *, etag="", last_modified="", page=True, inside=False, probe=False):
        """GET ``url`` following at most ``limits.redirects`` redirects, each hop checked.

        A page on the internet may link or redirect anywhere, the cloud's
        metadata address or the office's own intranet included; unless the
        source itself is inside (``inside``: its list address is written as one),
        no hop may go to an address of a private, loopback or link-local
        network, whether written as such (refused here, before anything is
        sent) or reached through a name (refused at connect time by the
        client's ``PublicOnly``).

        ``probe``: a conditional request likely to hear 304 (a list page asked
        every cycle) is asked first on a bare connection (``_unchanged``).
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        cap = self.limits.page_bytes if page else self.limits.attachment_bytes
        for _hop in range(self.limits.redirects + 1):
            if not inside and addresses.is_inside(url):
                raise InsideError(url)
            await self._robots(url, inside)
            answer = await self._request(
                url, headers, cap=cap, page=page, inside=inside, probe=probe and bool(headers)
            )
            probe = False  # a redirect's target is asked as usual
            if answer.location:
                url = answer.location
                continue
            return answer
        raise FetchError(
            _("重定向超过 %(count)s 次，已放弃：%(url)s")
            % {"count": self.limits.redirects, "url": url}
        )

    async def _request(self, url, headers, *, cap, page, inside, probe=False):
        host = self._host(url)
        client = self.inside_client if inside else self.client
        async with self.overall, host.slots:
            await host.turn()
            try:
                async with asyncio.timeout(self.limits.page_seconds):
                    if probe:
                        if await self._unchanged(url, headers, inside):
                            return Response(url, 304)
                        await host.turn()  # asked again in full: a second start for the host
                    return await self._read(client, url, headers, cap=cap, page=page)
            except _InsideAddress:
                raise InsideError(url) from None
            except TimeoutError:
                log.warning(
                    "crawl: %s took longer than %ss, dropped", url, self.limits.page_seconds
                )
                raise FetchError(
                    _("超过 %(seconds)s 秒仍未读完，已放弃：%(url)s")
                    % {"seconds": f"{self.limits.page_seconds:g}", "url": url}
                ) from None
            except httpx.HTTPError as exc:
                raise FetchError(
                    _("网络错误 %(error)s：%(url)s") % {"error": type(exc).__name__, "url": url}
                ) from None

    async def _unchanged(self, url, headers, inside):
        """Whether the page is unchanged (304), asked on a bare connection without httpx.

        An unchanged cycle asks each source's first list page conditionally and
        nothing else, and a 304 is nearly always the answer; through httpx's and
        httpcore's layers that one small exchange cost about a millisecond of
        CPU, most of an unchanged cycle. Here the request is written and the
        answer's head read with h11 (the parser under httpx) on a connection of
        the same backend (``PublicOnly`` for a public source, TLS verified with
        the same context), closed after the answer. Anything but a clean 304 —
        a changed page, a redirect, an error, a head h11 refuses, a name or path
        it cannot write — is False, and the caller asks again through the
        client, which reads, caps and checks the page as always. A connection
        that cannot be made fails the request here, as the client's would.
        """
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        try:
            stream = await self.backends[inside].connect_tcp(
                parts.hostname, parts.port or (443 if secure else 80), self.limits.connect_seconds
            )
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            raise FetchError(
                _("网络错误 %(error)s：%(url)s") % {"error": type(exc).__name__, "url": url}
            ) from None
        try:
            if secure:
                stream = await stream.start_tls(
                    _tls_context(), parts.hostname, self.limits.connect_seconds
                )
            connection = h11.Connection(h11.CLIENT)
            fields = [("Host", parts.netloc.rpartition("@")[2]), ("User-Agent", USER_AGENT)]
            fields += [("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate")]
            fields += [("Connection", "close"), *headers.items()]
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            request = h11.Request(method="GET", target=target, headers=fields)
            written = connection.send(request) + connection.send(h11.EndOfMessage())
            await stream.write(written, self.limits.read_seconds)
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await stream.read(65536, self.limits.read_seconds))
                elif not isinstance(event, h11.InformationalResponse):
                    return isinstance(event, h11.Response) and event.status_code == 304
        except (httpcore.NetworkError, httpcore.TimeoutException, h11.ProtocolError, ValueError):
            return False
        finally:
            await stream.aclose()

    async def _read(self, client, url, headers, *, cap, page):
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            location = response.headers.get("location", "")
            if status in (301, 302, 303, 307, 308) and location:
                target = urljoin(url, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    raise FetchError(_("重定向到无效地址：%(url)s") % {"url": location})
                return Response(url, status, location=target)
            if status == 304 or status >= 400:
                return Response(url, status)
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if page and kind and not kind.startswith(PAGE_TYPES):
                log.warning("crawl: %s is %s, not a page; refused", url, kind)
                raise FetchError(
                    _("内容类型 %(type)s 不是网页，已拒绝：%(url)s") % {"type": kind, "url": url}
                )
            if not page and kind.startswith("text/html"):
                raise FetchError(_("附件地址返回的是网页而不是文件：%(url)s") % {"url": url})
            length = response.headers.get("content-length", "")
            if not page and length.isdigit() and int(length) > cap:
                raise FetchError(
                    _("附件大小 %(size)s 字节超过上限 %(cap)s 字节：%(url)s")
                    % {"size": length, "cap": cap, "url": url}
                )
            body = bytearray()
            truncated = False
            async for chunk in response.aiter_bytes():
                if page and not body and b"\0" in chunk[:1024]:
                    raise FetchError(
                        _("内容是二进制数据，不是网页，已拒绝：%(url)s") % {"url": url}
                    )
                body += chunk
                if len(body) > cap:
                    if not page:
                        raise FetchError(
                            _("附件超过大小上限 %(cap)s 字节：%(url)s") % {"cap": cap, "url": url}
                        )
                    log.warning("crawl: %s is larger than %s bytes, cut", url, cap)
                    del body[cap:]
                    truncated = True
                    break
            return Response(
                url,
                status,
                bytes(body),
                charset=response.charset_encoding,
                etag=response.headers.get("etag", "")[:300],
                last_modified=response.headers.get("last-modified", "")[:100],
                truncated=truncated,
            )


@dataclass(frozen=True)
class Known:
    """What the database knows of one page, loaded before the network is read."""

    listed_as: str
    etag: str
    last_modified: str
    read_at: object = None  # when it was last read in full (a list page: its last 200)


def _content_hash(document):
    parts = [document.title, document.body, document.issuer, document.number]
    parts += [document.index_number, document.subject, str(document.written)]
    parts += [str(document.published)] + [url for url, _name in document.attachments]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def _read_list(source, known, fetcher, limits, result):
    """The entries to read: the list from its top until a known entry, then the backfill.

    A list longer than a cycle's budget (``limits.list_pages``, ``limits.details``)
    is not lost: where reading stopped is kept as the source's ``resume_url``,
    and later cycles, once the top has nothing new, go on from there until
    the list ends.
    """
    walk = _ListWalk(source, known, fetcher, limits, result)
    stopped_at = await walk.read(source.list_url, top=True)
    if stopped_at:
        result.resume_url = stopped_at
    elif source.resume_url:
        result.resume_url = await walk.read(source.resume_url, top=False) or ""
    return list(walk.wanted.items())


# A list page read in full this recently changes often, or never answers 304 however it is
# asked: it goes to the client directly, not through ``Fetcher._unchanged`` first.
PROBE_AFTER = timedelta(minutes=1)


def _quiet(validators):
    """Whether a list page is likely to answer 304: not read in full for a while."""
    return validators is not None and (
        validators.read_at is None or validators.read_at < clock.now() - PROBE_AFTER
    )


class _ListWalk:
    """One cycle's reading of a source's list pages, within its budget."""

    def __init__(self, source, known, fetcher, limits, result):
        self.source, self.known, self.fetcher = source, known, fetcher
        self.limits, self.result = limits, result
        self.wanted, self.seen = {}, set()
        self.pages = 0  # list pages read (a 304 costs the budget nothing)

    async def read(self, url, *, top):
        """Follow "next" links from ``url``; returns where to go on next cycle, or None.

        From the top, a page showing a known entry ends the walk, and so does a
        304; the backfill reads pages never read before, unconditionally.
        """
        while url:
            if self.pages >= self.limits.list_pages or len(self.wanted) >= self.limits.details:
                return url
            key = canonical(url)
            if key in self.seen:
                return None
            self.seen.add(key)
            validators = self.known.get(key) if top else None
            try:
                answer = await self.fetcher.get(
                    url,
                    etag=validators.etag if validators else "",
                    last_modified=validators.last_modified if validators else "",
                    inside=addresses.is_inside(self.source.list_url),
                    probe=len(self.seen) == 1 and _quiet(validators),
                )
                if answer.status == 304:
                    return None  # the list page has not changed: nothing new behind it either
                if answer.status >= 400:
                    raise FetchError(
                        _("列表页返回 HTTP %(status)s：%(url)s")
                        % {"status": answer.status, "url": url}
                    )
                self.result.fetched += 1
                self.pages += 1
                self.result.lists[key] = (answer.etag, answer.last_modified)
                text = extract.decode(
                    answer.body, header_charset=answer.charset, forced=self.source.encoding
                )
                listing = await asyncio.to_thread(
                    extract.parse_list, text, base_url=answer.url, source=self.source
                )
            except (FetchError, ValueError) as exc:
                if top and len(self.seen) == 1:
                    raise FetchError(str(exc)) from None  # the list itself: the source failed
                self.result.errors.append(str(exc))  # a later page: keep what the others gave
                return None if top else url
            met_known = False
            for item in listing.items:
                try:
                    item_key = canonical(item.url)
                except ValueError:
                    continue
                before = self.known.get(item_key)
                if before is None or before.listed_as != item.listed_as:
                    self.wanted.setdefault(item_key, (item, before))
                else:
                    met_known = True
            if met_known and top:
                return None
            url = listing.next_url
        return None


async def _read_detail(key, item, before, source, fetcher, known_files, result):
    try:
        answer = await fetcher.get(
            item.url,
            etag=before.etag if before else "",
            last_modified=before.last_modified if before else "",
            inside=addresses.is_inside(source.list_url),
        )
        if answer.status == 304:
            result.details.append(Detail(item.url, key, item.listed_as))
            return
        if answer.status >= 400:
            raise FetchError(
                _("详情页返回 HTTP %(status)s：%(url)s")
                % {"status": answer.status, "url": item.url}
            )
        result.fetched += 1
        html = extract.decode(answer.body, header_charset=answer.charset, forced=source.encoding)
        document = await asyncio.to_thread(extract.parse_detail, html, base_url=answer.url)
    except (FetchError, ValueError) as exc:  # one unreadable page, not the source's failure
        result.errors.append(str(exc))
        result.incomplete = True
        return
    if not document.title or len(dedup.normalise(document.body)) < 10:
        result.errors.append(_("页面中没有可识别的政策内容：%(url)s") % {"url": item.url})
        # Known from now on, with no policy: not read again until its list entry changes.
        result.details.append(Detail(item.url, key, item.listed_as))
        return
    detail = Detail(
        item.url,
        key,
        item.listed_as,
        etag=answer.etag,
        last_modified=answer.last_modified,
        content_hash=_content_hash(document),
        document=document,
    )
    for url, name in document.attachments:
        if canonical(url) in known_files:
            continue
        try:
            attachment = await fetcher.get(
                url, page=False, inside=addresses.is_inside(source.list_url)
            )
            if attachment.status >= 400:
                raise FetchError(
                    _("附件返回 HTTP %(status)s：%(url)s")
                    % {"status": attachment.status, "url": url}
                )
        except FetchError as exc:
            result.errors.append(str(exc))
            continue
        detail.files.append((url, name, attachment.body))
    result.details.append(detail)


async def _crawl_source(source, known, known_files, fetcher, limits, turns, deadline):
    result = SourceResult(source.id, source.name)
    async with turns:
        return await _crawl_source_now(
            source, known, known_files, fetcher, limits, deadline, result
        )


async def _crawl_source_now(source, known, known_files, fetcher, limits, deadline, result):
    """One source's read, under its own time limit or what is left of the cycle's."""
    started = time.monotonic()
    left = deadline - asyncio.get_running_loop().time()
    if left <= 0:
        result.skipped = True
        return result
    allowed = min(limits.source_seconds, left)
    try:
        async with asyncio.timeout(allowed):
            wanted = await _read_list(source, known, fetcher, limits, result)
            await asyncio.gather(
                *(
                    _read_detail(key, item, before, source, fetcher, known_files, result)
                    for key, (item, before) in wanted
                )
            )
    except FetchError as exc:
        result.failed = str(exc)
    except TimeoutError:
        result.incomplete = True
        message = _("来源在 %(seconds)s 秒内未抓取完，余下部分下一轮继续") % {
            "seconds": f"{allowed:g}"
        }
        # Only its own time limit makes a slow source fail; the cycle's end is not its fault.
        if not result.fetched and allowed == limits.source_seconds:
            result.failed = message
        else:
            result.errors.append(message)
    except Exception as exc:  # a bug or a surprise in one source must not end the cycle
        log.exception("crawl: source %s failed", source.id)
        result.failed = f"{type(exc).__name__}: {exc}"
    result.seconds = round(time.monotonic() - started, 3)
    return result


async def _crawl(sources, known, known_files, robots, limits):
    """Read every source; returns their results and the robots.txt files read on the way."""
    # Two pools, so that a connection opened for an inside source is never reused by another.
    async with (
        http_client(limits) as client,
        http_client(limits, public_only=False) as inside_client,
    ):
        fetcher = Fetcher(client, limits, robots, inside_client)
        turns = asyncio.Semaphore(limits.sources_at_once)
        deadline = asyncio.get_running_loop().time() + limits.cycle_seconds
        results = await asyncio.gather(
            *(
                _crawl_source(
                    source,
                    known[source.id],
                    known_files[source.id],
                    fetcher,
                    limits,
                    turns,
                    deadline,
                )
                for source in sources
            )
        )
        return results, fetcher.robots_read


def due_sources(source_id=None):
    """The sources a cycle reads: one named source, or every enabled one not backing off."""
    if source_id is not None:
        return list(PolicySource.objects.filter(pk=source_id))
    now = clock.now()
    return list(
        PolicySource.objects.filter(enabled=True).filter(
            Q(backoff_until__isnull=True) | Q(backoff_until__lte=now)
        )
    )


def _known(sources):
    known = {source.id: {} for source in sources}
    for source_id, url, listed_as, etag, last_modified, read_at in Page.objects.filter(
        source__in=sources
    ).values_list("source_id", "url", "listed_as", "etag", "last_modified", "fetched_at"):
        known[source_id][url] = Known(listed_as, etag, last_modified, read_at)
    files = {source.id: set() for source in sources}
    for source_id, url in Attachment.objects.filter(policy__pages__source__in=sources).values_list(
        "policy__pages__source_id", "url"
    ):
        files[source_id].add(url)
    return known, files


def _robots_of_the_day():
    since = clock.now() - ROBOTS_KEPT
    return {
        host: (status, body)
        for host, status, body in RobotsTxt.objects.filter(fetched_at__gte=since).values_list(
            "host", "status", "body"
        )
    }


def _take_lease(holder, seconds):
    CrawlLease.objects.get_or_create(name=LEASE)
    now = clock.now()
    return bool(
        CrawlLease.objects.filter(name=LEASE)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )


def _give_back_lease(holder):
    CrawlLease.objects.filter(name=LEASE, holder=holder).update(holder="", expires_at=None)


def lease_seconds(limits):
    """How long a cycle holds the lease: its reading time and the writing after."""
    return int(limits.cycle_seconds + limits.source_seconds + 300)


def run_cycle(source_id=None, *, limits=LIMITS):
    """One crawl cycle; returns its summary, or None when another cycle holds the lease."""
    holder = uuid.uuid4().hex
    if not _take_lease(holder, lease_seconds(limits)):
        log.info("crawl: another cycle is running; this one is skipped")
        return None
    try:
        sources = due_sources(source_id)
        run = actions.start_run(len(sources))
        known, known_files = _known(sources)
        results, robots = [], {}
        if sources:
            results, robots = asyncio.run(
                _crawl(sources, known, known_files, _robots_of_the_day(), limits)
            )
        actions.keep_robots(robots)
        by_id = {source.id: source for source in sources}
        quiet = [result for result in results if result.quiet]
        if quiet:
            run = actions.record_quiet_sources(run, [by_id[r.source_id] for r in quiet], quiet)
        for result in results:
            if not result.quiet:
                run = actions.record_source_result(run, by_id[result.source_id], result)
        actions.finish_run(run)
        return run.summary()
    finally:
        _give_back_lease(holder)
