"""``qitong serve`` killed with SIGKILL in the middle of a burst of filings (issue 15).

Clients file appeals from four threads, each with an ``external_id`` of its own; once 100
have been acknowledged (201) the server's whole process group is killed with SIGKILL.
After a restart: every acknowledged appeal is there exactly once with the number it was
acknowledged with, the numbers are gap-free, and the requests that got no answer, sent
again with their ``external_id``, file nothing twice. On SQLite (the embedded mode) in the
SQLite run, on a fresh PostgreSQL database in the PostgreSQL run.
"""

import http.client
import signal
import subprocess
import sys
import threading

from tests.processes import query
from tests.reliability.servers import SETUP, Server, file_appeal

THREADS = 4
KILL_AFTER = 100  # acknowledged filings


def _serial(number):
    return int(number.rsplit("-", 1)[1])


def test_every_acknowledged_filing_survives_a_sigkill_once_and_numbers_stay_gap_free(
    database, tmp_path
):
    env = {**database, "QITONG_WEB_WORKERS": "2"}  # PostgreSQL: two processes to kill
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 (closed at the end)
    server = Server(env, log)
    enough = threading.Event()
    try:
        server.start()
        setup = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, timeout=300
        )
        assert setup.returncode == 0, setup.stderr[-3000:]
        key, uscc = setup.stdout.split()

        acknowledged, unanswered, other = {}, [], []
        lock = threading.Lock()

        def client(n):
            for i in range(10_000):
                external_id = f"burst-{n}-{i}"
                try:
                    status, answer = file_appeal(server.port, key, uscc, external_id)
                except (OSError, http.client.HTTPException):  # refused, reset, or cut mid-answer
                    with lock:
                        unanswered.append(external_id)
                    return
                with lock:
                    if status == 201:
                        acknowledged[external_id] = (answer["id"], answer["number"])
                        if len(acknowledged) >= KILL_AFTER:
                            enough.set()
                    else:
                        other.append((status, answer))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        assert enough.wait(120), (len(acknowledged), other[:3])
        server.kill()
        for thread in threads:
            thread.join(60)
        assert other == []

        recovery = server.start()
        rows = query(env, "SELECT external_id, id, number FROM appeals_appeal")
        stored = {}
        for external_id, pk, number in rows:
            stored.setdefault(external_id, []).append((pk, number))
        lost = [e for e in acknowledged if e not in stored]
        duplicated = [e for e, found in stored.items() if len(found) > 1]
        assert lost == [] and duplicated == []
        assert all(stored[e] == [acknowledged[e]] for e in acknowledged)
        serials = sorted(_serial(number) for _e, _pk, number in rows)
        assert serials == list(range(1, len(rows) + 1))  # gap-free
        committed_unanswered = [e for e in unanswered if e in stored]

        # The clients send again what got no answer: nothing is filed twice.
        for external_id in unanswered:
            status, answer = file_appeal(server.port, key, uscc, external_id)
            assert status == (200 if external_id in stored else 201), (status, answer)
        rows = query(env, "SELECT external_id, number FROM appeals_appeal")
        assert len({e for e, _n in rows}) == len(rows)
        assert sorted(_serial(n) for _e, n in rows) == list(range(1, len(rows) + 1))
        print(
            f"\nSIGKILL mid-burst ({'PostgreSQL' if 'QITONG_DATABASE_URL' in env else 'SQLite'}):"
            f" {len(acknowledged)} acknowledged, {len(acknowledged) - len(lost)} found,"
            f" {len(lost)} lost, {len(duplicated)} duplicated; {len(unanswered)} in flight"
            f" ({len(committed_unanswered)} committed unanswered); restart to healthy"
            f" {recovery:.1f} s; {len(rows)} numbers gap-free after the retries"
        )
    finally:
        enough.set()
        server.kill(signal.SIGTERM)
        log.close()
