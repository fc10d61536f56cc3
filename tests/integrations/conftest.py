"""The integrations' cast: the city of the appeal tests, a hotline, an Open311 client, a receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from qitong.core import clock
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import actions, signing
from qitong.integrations.models import Integration
from tests.appeals.conftest import City

WORKORDERS = "/api/v1/hotline12345/workorders"


class Receiver:
    """A hotline's callback endpoint: a real HTTP server on loopback that records what it gets.

    ``stop()`` closes the port (the receiver is down: connections are refused);
    ``start()`` opens it again on the same port. ``status`` is what it answers.
    """

    def __init__(self):
        self.received, self.status, self.server = [], 200, None
        self.port = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/callbacks"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.status == 200:
                    receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def payloads(self):
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def city(db):
    return City()


@pytest.fixture
def hotline(city, receiver):
    integration, _key = actions.create_integration(
        name="jinan12345",
        kind=Integration.Kind.HOTLINE,
        title="济南12345热线",
        callback_url=receiver.url,
    )
    return integration


@pytest.fixture
def api():
    return APIClient()


def order(number="GD-2026-000001", **fields):
    """A work order as the hotline sends it."""
    data = {
        "work_order_no": number,
        "called_at": "2026-12-01T09:30:00+08:00",
        "caller": "王先生",
        "phone": "13800000000",
        "enterprise_name": "济南泉华电子有限公司",
        "uscc": make_uscc("91370102MA3C00001"),  # the city's 济南泉华电子有限公司
        "content": "企业反映新厂房用电增容申请两个月未批复，影响投产。",
        "kind": "投诉",
        "urgency": "紧急",
        "due_at": "2026-12-08T17:00:00+08:00",
        "attachments": ["https://12345.jinan.gov.cn/files/a1.jpg"],
    }
    data.update(fields)
    return data


def push(api, integration, data, *, secret=None, now=None, body=None, headers=None):
    """POST a work order signed with the integration's secret (or ``secret``) as of ``now``."""
    body = body if body is not None else json.dumps(data, ensure_ascii=False).encode()
    signed = signing.headers(secret or integration.secret, body, now=now or clock.now())
    if headers is not None:
        signed = headers
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signed.items()}
    return api.post(WORKORDERS, data=body, content_type="application/json", **extra)
