"""The monthly job: which months are due, closed once however often it runs, and the
leaders' digest in the inbox and by e-mail."""

import datetime as dt

import pytest

from qitong.core import clock
from qitong.core.schedule import JOBS
from qitong.notify import outbox
from qitong.notify.models import Message
from qitong.notify.timing import push_due
from qitong.projects import ranking, tasks
from qitong.projects.models import MonthClose, Ranking, Rules, Standing, Warning
from tests.appeals.conftest import at

pytestmark = pytest.mark.django_db


def test_the_job_is_scheduled_hourly_in_both_deployments():
    (job,) = [job for job in JOBS if job.task == "qitong.projects.tasks.close_months"]
    assert job.every == dt.timedelta(hours=1)
    assert tasks.close_months.name == job.task


def test_a_month_is_due_on_the_close_day_of_the_next(city):
    city.register()  # registered in January 2026
    rules = Rules.load()
    assert ranking.due_months(at("2026-02-04 23:59"), rules) == []
    assert ranking.due_months(at("2026-02-05 00:00"), rules) == ["2026-01"]
    rules.close_day = 10
    assert ranking.due_months(at("2026-02-09 12:00"), rules) == []
    assert ranking.due_months(at("2026-04-20 12:00"), rules) == ["2026-01", "2026-02", "2026-03"]


def test_the_job_closes_each_due_month_once_in_order(city, time_machine):
    project = city.register()
    city.report(project, "2026-01", "100")
    city.report(project, "2026-02", "100")
    assert ranking.close_due(at("2026-03-06 09:00")) == ["2026-01", "2026-02"]
    assert ranking.close_due(at("2026-03-06 10:00")) == []
    time_machine.move_to(at("2026-04-04 10:00"), tick=False)
    assert tasks.close_months.run() == []  # March is ranked on April 5th
    time_machine.move_to(at("2026-04-05 00:30"), tick=False)
    assert tasks.close_months.run() == ["2026-03"]
    assert list(MonthClose.objects.order_by("month").values_list("month", flat=True)) == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert Standing.objects.count() == 3
    assert Message.objects.filter(kind="project_digest").count() == 3  # one a month


def test_closing_a_closed_month_does_nothing(city):
    project = city.register()
    city.report(project, "2026-01", "10")
    assert city.close("2026-01") is not None
    counts = (Standing.objects.count(), Ranking.objects.count(), Message.objects.count())
    assert city.close("2026-01") is None
    assert (Standing.objects.count(), Ranking.objects.count(), Message.objects.count()) == counts


def test_each_responsible_leader_gets_the_digest_of_their_projects(city, mailbox):
    mine = city.register("历下项目")
    city.register("市长的项目", leader=city.mayor_user, district=city.shizhong, unit=city.gxj)
    city.report(mine, "2026-01", "100", problems=["用地指标未落实"])
    city.close("2026-01")

    [digest] = Message.objects.filter(recipient=city.leader_user, kind="project_digest")
    assert digest.subject == "重点项目月报（2026年1月）"
    assert "您负责的项目 1 个" in digest.body
    assert "历下项目（历下区人民政府，责任单位：市发展和改革委员会）：正常" in digest.body
    assert "累计完成投资 100.00 万元，计划累计 100.00 万元" in digest.body
    assert "本月提出问题 1 个" in digest.body
    assert "市长的项目" not in digest.body
    assert digest.url == "/projects/?leader=leader"
    assert Message.objects.filter(recipient=city.mayor_user, kind="project_digest").count() == 1

    # Digests are e-mailed in office hours; the mayor has no address: inbox only.
    outbox.deliver_due(now=push_due("project_digest", clock.now()))
    [mail] = [mail for mail in mailbox.received if mail["subject"].startswith("重点项目月报")]
    assert mail["to"] == ["leader@example.org"]
    assert mail["subject"] == "重点项目月报（2026年1月）"
    assert "历下项目" in mail["body"]


def test_the_digest_names_the_warnings_of_the_leader_s_projects(city):
    lixia = city.register("历下项目")
    shizhong = city.register("市中项目", district=city.shizhong, unit=city.gxj)
    for month in ("2026-01", "2026-02"):
        city.report(lixia, month, "100")
        city.report(shizhong, month, "10")
        city.close(month)
    assert Warning.objects.filter(month="2026-02").count() == 2
    digest = Message.objects.filter(kind="project_digest").latest("id")
    assert "预警：市中区人民政府 黄色预警" in digest.body
    assert "预警：市工业和信息化局 黄色预警" in digest.body
