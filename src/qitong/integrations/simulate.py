"""A 12345 hotline played against a running platform: ``qitong hotline12345 simulate``, the bench.

Each work order is signed as the hotline signs it and posted by one of
``clients`` threads over its own connection, kept alive where the server
allows it (a production ``qitong serve`` closes each after one answer, and
the client opens the next); a failed post
(no answer, 5xx) is sent again, as a hotline retries, so the platform's
idempotency is exercised too. Only the standard library and ``httpx``:
the bench runs it outside Django.
"""

import json
import threading
import time
from datetime import UTC, datetime

import httpx

from qitong.enterprises.uscc import make_uscc
from qitong.integrations import signing

KINDS = ("投诉", "求助", "咨询", "建议")
TEXTS = (
    "企业反映新厂房用电增容申请两个月未批复，影响投产。",
    "企业反映厂区门前道路施工封闭，货车无法进出，请求协调。",
    "企业咨询高新技术企业认定的申报时间与材料要求。",
    "企业反映招工困难，请求协调人社部门组织专场招聘。",
)


def work_order(run, index, *, enterprises):
    """The ``index``-th work order of ``run``: the enterprises cycle through ``enterprises`` codes."""
    serial = index % enterprises
    return {
        "work_order_no": f"{run}-{index:07d}",
        "called_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "caller": "王先生",
        "phone": "13800000000",
        "enterprise_name": f"济南模拟企业{serial:05d}有限公司",
        "uscc": make_uscc(f"91370102MB{serial:07d}"),
        "content": TEXTS[index % len(TEXTS)],
        "kind": KINDS[index % len(KINDS)],
        "urgency": "一般",
        "attachments": [],
    }


def run(url, secret, *, count, clients=4, enterprises=100, run_id=None, repeat_every=0):
    """Post ``count`` work orders with ``clients`` threads; returns the tallies.

    ``repeat_every`` > 0 posts every n-th order a second time (a hotline's
    retry), which must answer 200 with the same appeal. The answer counts
    201s, 200s, errors and the appeals seen, so a caller checks that none was
    lost (every order has an appeal) and none duplicated (distinct appeals ==
    orders).
    """
    run_id = run_id or datetime.now(UTC).strftime("SIM%Y%m%d%H%M%S")
    lock = threading.Lock()
    tallies = {"created": 0, "repeated": 0, "retried": 0, "errors": 0, "statuses": {}}
    appeals = {}  # work order -> appeal id
    mismatched = []
    latencies = []  # seconds of each answered post
    next_index = iter(range(count))

    def post(client, order):
        body = json.dumps(order, ensure_ascii=False).encode()
        for attempt in range(5):
            headers = {
                "Content-Type": "application/json",
                **signing.headers(secret, body, now=datetime.now(UTC)),
            }
            started = time.monotonic()
            try:
                answer = client.post(url, content=body, headers=headers)
            except httpx.HTTPError:
                answer = None
            with lock:
                latencies.append(time.monotonic() - started)
            if answer is not None and answer.status_code < 500:
                return answer, attempt
            time.sleep(0.2 * (attempt + 1))
        return answer, attempt

    def worker():
        try:
            play()
        except Exception:  # counted, so that a broken client is never a silent success
            with lock:
                tallies["errors"] += 1
            raise

    def play():
        with httpx.Client(timeout=60, trust_env=False) as client:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                order = work_order(run_id, index, enterprises=enterprises)
                times = 2 if repeat_every and index % repeat_every == 0 else 1
                for _time in range(times):
                    answer, retries = post(client, order)
                    with lock:
                        tallies["retried"] += retries
                        code = answer.status_code if answer is not None else 0
                        tallies["statuses"][code] = tallies["statuses"].get(code, 0) + 1
                        if code not in (200, 201):
                            tallies["errors"] += 1
                            continue
                        tallies["created" if code == 201 else "repeated"] += 1
                        appeal = answer.json()["appeal_id"]
                        first = appeals.setdefault(order["work_order_no"], appeal)
                        if first != appeal:
                            mismatched.append(order["work_order_no"])

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    latencies.sort()

    def percentile(share):
        return round(1000 * latencies[min(len(latencies) - 1, int(share * len(latencies)))], 1)

    return {
        "run": run_id,
        "orders": count,
        "clients": clients,
        **tallies,
        "appeals": len(set(appeals.values())),
        "orders_answered": len(appeals),
        "mismatched": len(mismatched),
        "seconds": round(seconds, 2),
        "orders_per_second": round(count / seconds, 1) if seconds else None,
        "latency_ms": {
            "p50": percentile(0.5),
            "p90": percentile(0.9),
            "p99": percentile(0.99),
            "max": percentile(1.0),
        }
        if latencies
        else {},
    }
