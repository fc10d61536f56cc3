"""``qitong serve`` as the fault tests run it, and a client filing appeals through it."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.processes import free_port, wait_for_http

# Run in the served database once it is migrated: the office (with an e-mail address),
# an enterprise, and the office's token; prints the token's key and the enterprise's USCC.
SETUP = """
import django
django.setup()
from qitong.core.models import ApiToken
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, Unit, User

office = Unit.objects.create(code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE)
user = User.objects.create(
    username="office", role=User.Role.OFFICE, unit=office, email="office@example.org"
)
enterprise = Enterprise.objects.create(
    uscc=make_uscc("91370102MA3C00001"), name="济南泉华电子有限公司",
    region=Region.objects.get(code="370102"), industry="C3989",
)
print(ApiToken.issue(user)[1], enterprise.uscc)
"""


class Server:
    """``qitong serve`` in a process group of its own, so that SIGKILL takes its workers too."""

    def __init__(self, env, log):
        self.env, self.log, self.port, self.process = env, log, free_port(), None

    def start(self):
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qitong", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", process=self.process, seconds=90)
        return time.monotonic() - started

    def kill(self, sig=signal.SIGKILL):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)


def file_appeal(port, key, uscc, external_id):
    """One filing: ``(status, answer)``; raises OSError when no answer came."""
    body = {
        "enterprise": uscc,
        "title": "用电增容审批缓慢",
        "content": "新厂房需要增容 2000 千伏安，申请两个月未批复。",
        "channel": "web",
        "external_id": external_id,
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/appeals",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")
