"""The trail is one hash chain: any change, removal or insertion is found, pruning keeps it whole."""

import datetime as dt
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from qitong.audit import chain
from qitong.audit.models import GENESIS, Head, Record
from qitong.core import clock
from tests.audit.conftest import entry

pytestmark = pytest.mark.django_db


def tamper(sql, *params):
    """Change rows behind the application's back (on PostgreSQL, with the guard set aside)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_record DISABLE TRIGGER audit_record_guard")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_record ENABLE TRIGGER audit_record_guard")


def test_each_row_carries_the_hash_of_the_one_before_and_its_own_content():
    written = chain.append([entry(number) for number in range(5)])
    assert [row.seq for row in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS
    for before, row in zip(written, written[1:], strict=False):
        assert row.prev_hash == before.hash
    stored = Record.objects.get(seq=3)
    assert stored.hash == chain.digest(stored.prev_hash, stored)
    assert chain.verify().ok
    assert chain.verify().checked == 5
    head = Head.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, written[-1].hash)


def test_a_changed_row_is_named():
    chain.append([entry(number) for number in range(6)])
    tamper("UPDATE audit_record SET username = %s WHERE seq = %s", "intruder", 4)
    verdict = chain.verify()
    assert (verdict.ok, verdict.broken, verdict.checked) == (False, 4, 3)
    assert "内容与其哈希不符" in verdict.reason


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link():
    chain.append([entry(number) for number in range(6)])
    row = Record.objects.get(seq=2)
    row.target = "somewhere else"
    tamper(
        "UPDATE audit_record SET target = %s, hash = %s WHERE seq = 2",
        row.target,
        chain.digest(row.prev_hash, row),
    )
    verdict = chain.verify()
    assert verdict.broken == 3
    assert "不衔接" in verdict.reason


def test_a_deleted_row_is_named():
    chain.append([entry(number) for number in range(6)])
    tamper("DELETE FROM audit_record WHERE seq = %s", 3)
    verdict = chain.verify()
    assert (verdict.broken, verdict.checked) == (3, 2)
    assert "缺少第 3–3 条" in verdict.reason


def test_rows_cut_off_the_end_are_noticed():
    chain.append([entry(number) for number in range(6)])
    tamper("DELETE FROM audit_record WHERE seq >= %s", 5)
    verdict = chain.verify()
    assert (verdict.broken, verdict.checked) == (5, 4)


def test_the_command_reports_the_first_broken_row(capsys):
    chain.append([entry(number) for number in range(3)])
    call_command("audit", "verify")
    assert "3" in capsys.readouterr().out
    tamper("UPDATE audit_record SET address = %s WHERE seq = %s", "10.0.0.1", 2)
    with pytest.raises(CommandError, match="第 2 条"):
        call_command("audit", "verify")


def test_the_admin_cannot_add_change_or_delete(client, admin_user):
    chain.append([entry(0)])
    client.force_login(admin_user)
    row = Record.objects.get()
    assert client.get("/admin/audit/record/").status_code == 200
    assert client.get(f"/admin/audit/record/{row.pk}/change/").status_code == 200  # read only
    assert client.get("/admin/audit/record/add/").status_code == 403
    assert client.post(f"/admin/audit/record/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(
        "/admin/audit/record/", {"action": "delete_selected", "_selected_action": [row.pk]}
    ).status_code in (200, 302)
    assert Record.objects.filter(pk=row.pk).exists()


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the database guard is PostgreSQL's"
)
def test_postgresql_refuses_changes_and_deleting_young_rows():
    chain.append([entry(0, at=clock.now())])
    with pytest.raises(DatabaseError, match="cannot be changed"), transaction.atomic():
        Record.objects.update(username="intruder")
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        Record.objects.all().delete()
    assert Record.objects.get().username == "someone"


def test_pruning_removes_only_rows_past_180_days_and_reanchors(settings):
    settings.QITONG_AUDIT_RETENTION_DAYS = 30  # asks for less: 180 days hold all the same
    now = clock.now()
    old = [entry(n, at=now - dt.timedelta(days=200, minutes=10 - n)) for n in range(4)]
    kept = [entry(n, at=now - dt.timedelta(days=179 - n)) for n in range(4, 8)]
    chain.append(old + kept)
    assert chain.prune(now) == 4
    assert sorted(Record.objects.values_list("seq", flat=True)) == [5, 6, 7, 8, 9]
    head = Head.objects.get(pk=1)
    assert head.anchor_seq == 4
    assert Record.objects.get(seq=5).prev_hash == head.anchor_hash
    pruning = Record.objects.get(seq=9)
    assert (pruning.action, pruning.detail["removed"]) == (Record.Action.AUDIT, 4)
    verdict = chain.verify()
    assert verdict.ok and verdict.checked == 5
    assert chain.prune(now) == 0  # nothing more is old enough
    chain.append([entry(20)])
    assert chain.verify().ok


def test_a_longer_retention_keeps_more(settings):
    settings.QITONG_AUDIT_RETENTION_DAYS = 400
    now = clock.now()
    chain.append([entry(0, at=now - dt.timedelta(days=300))])
    assert chain.prune(now) == 0
    assert Record.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_make_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no fork to race for")
    barrier = threading.Barrier(4)
    errors = []

    def write(worker):
        try:
            barrier.wait()
            for number in range(25):
                chain.append([entry(worker * 100 + number, username=f"w{worker}")])
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert list(Record.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 101))
    assert Record.objects.values("prev_hash").distinct().count() == 100  # no two share a parent
    assert chain.verify().ok


def test_a_staged_row_commits_with_its_action_and_joins_the_chain_when_sealed():
    from qitong.audit import trail
    from qitong.audit.models import Staged

    with transaction.atomic():
        trail.record(Record.Action.EXPORT, target="sheet", username="clerk", detail={"n": (1, 2)})
    # Committed with the action: a process killed now loses nothing; not chained yet.
    assert Staged.objects.get().target == "sheet"
    assert not Record.objects.exists()
    chain.append([entry(1)])  # an immediate append goes first; the staged row follows
    assert chain.seal() == 1
    assert not Staged.objects.exists()
    assert list(Record.objects.order_by("seq").values_list("target", flat=True)) == [
        "thing:1",
        "sheet",
    ]
    assert Record.objects.get(target="sheet").detail == {"n": [1, 2]}
    assert chain.verify().ok
    assert chain.seal() == 0


def test_seal_links_staged_rows_in_the_order_they_were_staged():
    chain.stage([entry(number) for number in range(chain.CHUNK + 3)])
    assert chain.seal() == chain.CHUNK + 3
    targets = list(Record.objects.order_by("seq").values_list("target", flat=True))
    assert targets == [f"thing:{number}" for number in range(chain.CHUNK + 3)]
    assert chain.verify().checked == chain.CHUNK + 3


def test_verify_command_seals_first():
    chain.stage([entry(1), entry(2)])
    call_command("audit", "verify")
    assert Record.objects.count() == 2


def test_a_staged_row_cannot_be_changed_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the guard is a PostgreSQL trigger")
    from qitong.audit.models import Staged

    chain.stage([entry(1)])
    with pytest.raises(DatabaseError), transaction.atomic():
        Staged.objects.update(username="intruder")
    assert Staged.objects.get().username == "someone"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_staging_while_sealers_seal_make_one_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no fork to race for")
    from qitong.audit.models import Staged

    barrier = threading.Barrier(4)
    errors = []

    def work(worker):
        try:
            barrier.wait()
            for number in range(25):
                with transaction.atomic():
                    chain.stage([entry(worker * 100 + number, username=f"w{worker}")])
                if worker < 2 and number % 5 == 0:
                    chain.seal()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    chain.seal()
    assert not Staged.objects.exists()
    assert list(Record.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 101))
    assert Record.objects.values("target").distinct().count() == 100  # each row once
    assert chain.verify().ok
