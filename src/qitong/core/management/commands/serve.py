"""``qitong serve``: the production web server (gunicorn + WhiteNoise).

It migrates an empty or older database first. In embedded mode (no
``QITONG_REDIS_URL``) it runs one worker process with threads, and that worker
also runs the periodic jobs on the in-process scheduler; with Redis, Celery
beat and workers do that and the web workers only serve.
"""

import errno
import gc
import hashlib
import os
import socket

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication
from gunicorn.http import wsgi as gunicorn_wsgi

from qitong import env
from qitong.core.scheduler import Scheduler


def ensure_port_free(host, port):
    """Refuse at once, naming the port, when another server already listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    _(
                        "端口 %(port)d 已被占用（%(host)s）：另一个服务正在运行，请换一个端口（--port）。"
                    )
                    % {"port": port, "host": host}
                ) from None
            raise CommandError(
                _("无法监听 %(host)s:%(port)d：%(error)s")
                % {"host": host, "port": port, "error": exc}
            ) from None


def _without_server_header(default_headers):
    """gunicorn always sends ``Server: gunicorn`` and has no setting to stop it; the
    banner tells a prober which server to attack, so the line is left out."""

    def headers(response):
        return [line for line in default_headers(response) if not line.startswith("Server:")]

    headers.qitong = True
    return headers


if not getattr(gunicorn_wsgi.Response.default_headers, "qitong", False):
    gunicorn_wsgi.Response.default_headers = _without_server_header(
        gunicorn_wsgi.Response.default_headers
    )


def _freeze_loaded(worker):
    """Once a worker has loaded the application: keep what it loaded out of the collector.

    Django, the URL map, the models and the translations are some 280,000 objects that
    live as long as the process; left in the collector's oldest generation, each full
    collection (about one in 5,000 filings) walks them all, 180–195 ms during which the
    process's every thread waits, a request's whole latency budget (bench/gc_pauses.py).
    Frozen, a full collection walks only what the requests left behind (at most a few
    milliseconds). The garbage of the loading itself is collected first,
    once, so that nothing is frozen that would have been freed.
    """
    gc.collect()
    gc.freeze()


def _start_embedded_worker(worker):
    _freeze_loaded(worker)
    Scheduler().start()


class _Server(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer gunicorn settings are skipped on older releases
                self.cfg.set(key, value)

    def load(self):
        return get_wsgi_application()


# Beside the collected files: the fingerprint of the sources they were collected from.
COLLECTED_STAMP = ".qitong-collected"


def static_fingerprint():
    """A digest of every static source file's path, size and modification time."""
    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static():
    """``collectstatic`` unless the sources are those collected last time.

    Compressing every file again (gzip and Brotli, ECharts among them) is most of a
    restart's time, and a restart after a crash is when a city waits for it.
    """
    stamp = settings.STATIC_ROOT / COLLECTED_STAMP
    fingerprint = static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


EMBEDDED_THREADS = 8
WORKER_THREADS = 2


def server_config(host, port, *, workers, threads, embedded):
    """gunicorn's settings for ``serve``: ``workers`` and ``threads`` as given, else the defaults.

    With several workers, each takes a connection only when one of its threads is free
    and answers one request on it (``worker_connections`` = threads, no keep-alive): the
    requests wait in the listening socket's queue, first come first served by whichever
    worker frees a thread first. A worker that kept its connections open would keep
    serving whichever clients it happened to accept, and on a busy server the clients
    of the worker with more of them would wait longer: at 16 clients on two workers the
    slowest hundredth of filings took twice the mean, against one and a half times
    without keep-alive (docs/benchmarks.md, "Filing under load … first come, first
    served"). Behind nginx, as docs/deployment.md sets it up, nothing changes for
    browsers: nginx keeps their connections.
    """
    threads = threads or (EMBEDDED_THREADS if embedded else WORKER_THREADS)
    one_at_a_time = {} if embedded else {"worker_connections": threads, "keepalive": 0}
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        # SQLite has one writer: one process with threads serves a county.
        "workers": 1 if embedded else (workers or 2 * (os.cpu_count() or 1) + 1),
        # Threads share a process's interpreter lock: past two a process, more filings in
        # flight only wait longer for it (docs/benchmarks.md, "Threads per worker"). The
        # one process of embedded mode keeps more, for the slow pages beside the quick.
        "threads": threads,
        "worker_class": "gthread",
        **one_at_a_time,
        "timeout": 60,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "qitong",
        # No control socket in ~/.gunicorn: several servers may run side by side.
        "control_socket_disable": True,
        # Embedded mode's one process also runs the periodic jobs.
        "post_worker_init": _start_embedded_worker if embedded else _freeze_loaded,
    }


class Command(BaseCommand):
    help = _("启动网站（生产级 WSGI 服务器），嵌入模式下同时运行定时任务。")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=env.integer("QITONG_WEB_WORKERS", default=None, minimum=1),
            help=_("进程数（仅在配置 Redis 的生产模式下有效）"),
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=env.integer("QITONG_WEB_THREADS", default=None, minimum=1),
            help=_("每个进程的线程数（默认：嵌入模式 8，生产模式 2）"),
        )

    def handle(self, *args, host, port, workers, threads, **options):
        ensure_port_free(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            collect_static()
        connections.close_all()
        embedded = settings.EMBEDDED
        config = server_config(host, port, workers=workers, threads=threads, embedded=embedded)
        self.stdout.write(
            _("企通已启动：http://%(host)s:%(port)d/（%(mode)s）")
            % {
                "host": host,
                "port": port,
                "mode": _("嵌入模式，定时任务在本进程运行")
                if embedded
                else _("生产模式，定时任务由 Celery 运行"),
            }
        )
        self.stdout.flush()
        _Server(config).run()
