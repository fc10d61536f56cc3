"""Two workers at once on PostgreSQL: a month is closed once, and a report racing the close
is either judged in it or refused. SQLite runs one writer at a time: no race to test there."""

import threading

import pytest
from django.db import connection, connections

from qitong.core.errors import Conflict
from qitong.notify.models import Message
from qitong.projects import actions, ranking
from qitong.projects.models import MonthClose, Progress, Standing
from tests.projects.conftest import ProjectCity, in_month

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _together(*works):
    """Run each of ``works`` in its own thread, released at the same moment; return results."""
    barrier = threading.Barrier(len(works))
    results, errors = [None] * len(works), []

    def run(index):
        try:
            barrier.wait()
            results[index] = works[index]()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.fixture
def pg_city(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    return ProjectCity()


def test_two_closers_at_once_close_the_month_once(pg_city):
    city = pg_city
    for number in range(3):
        project = city.register(f"项目{number}")
        city.report(project, "2026-01", str(50 * number + 10))
    moment = in_month("2026-02", 6)
    results = _together(*(lambda: ranking.close_month("2026-01", at=moment) for _ in range(3)))
    assert sum(result is not None for result in results) == 1
    assert MonthClose.objects.count() == 1
    assert Standing.objects.count() == 3
    assert Message.objects.filter(kind="project_digest").count() == 1


def test_a_report_racing_the_close_is_judged_or_refused(pg_city):
    city = pg_city
    project = city.register()

    def report():
        try:
            return actions.report_progress(
                project,
                acting_user=city.fgw_user,
                at=in_month("2026-02", 5),
                month="2026-01",
                investment="100",
                text="按计划推进",
            )
        except Conflict:
            return None

    reported, _closing = _together(
        report, lambda: ranking.close_month("2026-01", at=in_month("2026-02", 6))
    )
    standing = Standing.objects.get(project=project, month="2026-01")
    if reported is None:
        assert not Progress.objects.exists()
        assert standing.status == "no_progress"
    else:
        assert Progress.objects.count() == 1
        assert standing.status == "normal"
