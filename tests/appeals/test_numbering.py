"""Appeal numbers: gap-free and unique per year, taken last, carried everywhere the case is.

The number is taken at the end of a filing (``numbering.take_last``), after the
appeal, its event, its index row and the office's messages were written with a
placeholder; these tests check that no placeholder survives, that a filing
rolled back gives its number back, and (on PostgreSQL, with threads filing
through the real code) that numbers stay 1..N under concurrency while the
counter is not held during the rest of a filing.
"""

import re
import threading

import pytest
from django.db import connection, transaction

from qitong.appeals import actions
from qitong.appeals.models import TEXT_INDEX, Appeal, Event
from qitong.core import clock
from qitong.core.clock import SHANGHAI
from qitong.core.models import Counter
from qitong.notify.models import Message
from tests.appeals.conftest import City, at
from tests.appeals.test_concurrency import _together
from tests.conftest import client_for

NUMBER = re.compile(r"^QT-\d{4}-\d{6,}$")


def _file(city, when=None, **fields):
    appeal, created = actions.file_appeal(
        acting_user=city.office_user,
        enterprise=city.company,
        title=fields.pop("title", "用电增容审批缓慢"),
        content=fields.pop("content", "新厂房需要增容 2000 千伏安。"),
        channel="web",
        at=when,
        **fields,
    )
    assert created
    return appeal


class Failed(Exception):
    """Raised by a test after a filing, so the filing's transaction rolls back."""


def _file_and_fail(city, when=None):
    with pytest.raises(Failed), transaction.atomic():
        appeal = _file(city, when)
        assert NUMBER.match(appeal.number)
        raise Failed


def _numbers(year):
    return sorted(
        int(number.rsplit("-", 1)[1])
        for number in Appeal.objects.filter(number__startswith=f"QT-{year}-").values_list(
            "number", flat=True
        )
    )


def _assert_carried(appeal):
    """The number is in the row, the text index and the office's messages; no placeholder."""
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.number == appeal.number
    assert NUMBER.match(stored.number)
    assert TEXT_INDEX.find(stored.number, at_most=10) == [stored.pk]
    subjects = Message.objects.filter(kind="submit", subject__contains=stored.number)
    assert subjects.count() == stored.office.users.filter(is_active=True).count() > 0


@pytest.mark.django_db
def test_the_answer_the_index_and_the_messages_carry_the_number(city):
    year = clock.now().astimezone(SHANGHAI).year
    client = client_for(city.office_user)
    body = {
        "enterprise": city.company.uscc,
        "title": "流动资金贷款续贷困难",
        "content": "银行要求追加抵押，企业无力提供。",
        "channel": "hotline12345",
        "external_id": "SD-2026-000123",
    }
    response = client.post("/api/v1/appeals", body, format="json")
    assert response.status_code == 201
    answer = response.json()
    assert answer["number"] == f"QT-{year}-000001"
    # the answer of a filing is the case as GET shows it, field for field
    assert client.get(f"/api/v1/appeals/{answer['id']}").json() == answer
    _assert_carried(Appeal.objects.get(pk=answer["id"]))
    assert not Message.objects.filter(subject__regex=r"QT-\d{4}-n").exists()

    repeat = client.post("/api/v1/appeals", body, format="json")
    assert repeat.status_code == 200
    assert repeat.json() == answer


@pytest.mark.django_db
def test_a_filing_costs_a_fixed_number_of_queries(city, django_assert_num_queries):
    client = client_for(city.office_user)
    body = {
        "enterprise": city.company.uscc,
        "title": "用电增容",
        "content": "申请增容。",
        "channel": "web",
    }
    client.post("/api/v1/appeals", body, format="json")  # the token's first use, the office read
    # token (with its user and the user's unit), enterprise, the savepoint of the test's
    # transaction, appeal, event, the event's audit row, the office's messages (INSERT …
    # SELECT), the index row and the number: one statement on PostgreSQL; on SQLite the
    # counter, the number and the messages' subjects one each, then the index row; the
    # savepoint's release. The office comes from the process's memory, the answer from
    # what the filing wrote.
    with django_assert_num_queries(10 if connection.vendor == "postgresql" else 12):
        assert client.post("/api/v1/appeals", body, format="json").status_code == 201


@pytest.mark.django_db
def test_a_filing_that_fails_after_its_number_gives_the_number_back(city):
    first = _file(city, at("2026-11-02 10:00"))
    assert first.number == "QT-2026-000001"
    before = (Appeal.objects.count(), Event.objects.count(), Message.objects.count())
    _file_and_fail(city, at("2026-11-02 10:05"))
    assert (Appeal.objects.count(), Event.objects.count(), Message.objects.count()) == before
    assert TEXT_INDEX.find("QT-2026-000002", at_most=10) == []
    second = _file(city, at("2026-11-02 10:10"))
    assert second.number == "QT-2026-000002"
    _assert_carried(second)


@pytest.mark.django_db
def test_each_year_starts_at_one_and_numbers_outgrow_six_digits(city):
    assert _file(city, at("2026-12-31 23:50")).number == "QT-2026-000001"
    assert _file(city, at("2027-01-01 00:10")).number == "QT-2027-000001"
    Counter.objects.filter(name="QT-2026").update(value=999_999)
    late = _file(city, at("2026-12-31 23:55"))
    assert late.number == "QT-2026-1000000"
    _assert_carried(late)


# --- PostgreSQL: many filings at once -------------------------------------------------


@pytest.fixture
def pg_city(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL; SQLite lets one writer in at a time")
    # The flush between transactional tests empties the models' tables, not the
    # text index's own: rows of earlier tests' appeals would match these numbers.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(TEXT_INDEX.table)}")
    return City()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_filings_some_failing_number_one_to_n_without_gaps(pg_city):
    city = pg_city
    threads, each = 8, 6
    when = at("2026-11-02 10:00")

    def work(index):
        kept = 0
        for round_ in range(each):
            if (index + round_) % 3 == 0:
                _file_and_fail(city, when)
            else:
                _file(city, when, title=f"第 {index} 组第 {round_} 件诉求")
                kept += 1
        return kept

    kept = sum(_together(work, count=threads))
    assert kept == Appeal.objects.count() == Event.objects.filter(action="submit").count()
    assert _numbers(2026) == list(range(1, kept + 1))
    assert Counter.objects.get(name="QT-2026").value == kept
    for appeal in Appeal.objects.all():
        _assert_carried(appeal)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_counter_is_not_held_while_a_filing_writes_its_rows(pg_city):
    """One filing pauses after writing its event; another files in full meanwhile.

    Were the counter locked from the start of a filing, the second would wait
    for the first and the pause would run out.
    """
    city = pg_city
    when = at("2026-11-02 10:00")
    paused, other_done = threading.Event(), threading.Event()

    def pause_after_the_event(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('INSERT INTO "appeals_event"') and not paused.is_set():
            paused.set()
            assert other_done.wait(20), "the other filing waited for this one"
        return result

    def work(index):
        if index == 0:
            with connection.execute_wrapper(pause_after_the_event):
                return _file(city, when, title="先开始的诉求").number
        assert paused.wait(20)
        number = _file(city, when, title="后开始的诉求").number
        other_done.set()
        return number

    first, second = _together(work, count=2)
    # the one that started second committed first, so it took the first number
    assert (first, second) == ("QT-2026-000002", "QT-2026-000001")
