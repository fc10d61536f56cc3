"""A few key projects for the demo city (``qitong.demo.city`` calls ``load``).

Six projects in the three districts, registered four months ago, each with
its plan, its units' monthly reports (one on plan, one ahead, one lagging,
one stalled…), a problem raised and handed on as an appeal, and every month
that is due ranked, so the registry, the rankings with their warnings, the
leaders' digests and the public board all have something to show. Everything
goes through the actions with travelled instants, as real use makes it.
"""

import datetime as dt
from decimal import Decimal

from qitong.enterprises.models import Enterprise
from qitong.orgs.models import Unit, User
from qitong.projects import actions, months, ranking

# name, district, responsible unit, planned total (万元), share of the plan reported each
# month (None: nothing reported that month), public, a problem raised in the last report
PROJECTS = [
    ("泉城智能装备产业园", "lixia", "fgw", 12000, (1.0, 1.0, 1.05, 1.0), True, ""),
    ("历下数字经济总部基地", "lixia", "lixia", 8000, (1.1, 1.2, 1.2, 1.25), True, ""),
    (
        "市中新材料研发中心",
        "shizhong",
        "gxj",
        6000,
        (0.6, 0.5, 0.5, 0.45),
        True,
        "研发楼施工用电增容申请两个月未批复",
    ),
    ("市中冷链物流园", "shizhong", "shizhong", 9000, (0.8, 0.7, None, None), True, ""),
    (
        "槐荫新能源电池项目",
        "huaiyin",
        "huaiyin",
        15000,
        (1.0, 0.95, 1.0, 1.0),
        True,
        "项目临时道路占用许可办理缓慢",
    ),
    ("槐荫医药健康产业园", "huaiyin", "gxj", 5000, (0.9, 1.0, 1.0, 0.9), False, ""),
]
MONTHS_BACK = 4


def _month_of(total):
    """A twelfth of ``total``, the plan's (and an on-plan report's) monthly amount."""
    return (Decimal(total) / 12).quantize(Decimal("0.01"))


def _clerk(unit):
    """The unit's reporting clerk: its first unit user, or a new one without a password."""
    clerk = User.objects.filter(unit=unit, role=User.Role.UNIT).order_by("id").first()
    if clerk is None:
        clerk = User(
            username=f"{unit.code}-clerk", first_name=f"{unit.name} 经办人", role=User.Role.UNIT
        )
        clerk.unit = unit
        clerk.set_unusable_password()
        clerk.save()
    return clerk


def load(*, now):
    """Register the demo projects, report their months, rank what is due; returns them."""
    office = User.objects.get(username="office")
    leader = User.objects.get(username="leader")
    enterprises = list(Enterprise.objects.order_by("id"))[::7][: len(PROJECTS)]
    first = months.shift(months.of(now), -MONTHS_BACK)
    registered = months.start(first) + dt.timedelta(days=2, hours=10)
    projects = []
    for (name, district, unit, total, shares, public, problem), enterprise in zip(
        PROJECTS, enterprises, strict=True
    ):
        unit = Unit.objects.get(code=unit)
        last = months.shift(first, 11)
        project = actions.register_project(
            acting_user=office,
            at=registered,
            name=name,
            enterprise=enterprise,
            planned_investment=Decimal(total),
            district=Unit.objects.get(code=district),
            leader=leader,
            unit=unit,
            team=[_clerk(unit)],
            start_month=first,
            public=public,
            milestones=[
                {"name": "开工建设", "month": first, "investment": _month_of(total)},
                {"name": "竣工投产", "month": last, "investment": Decimal(total)},
            ],
        )
        _report(project, first, shares, problem, now)
        projects.append(project)
    ranking.close_due(now)
    return projects


def _report(project, first, shares, problem, now):
    """The clerk's report of each month, at its tenth day, as a share of that month's plan."""
    clerk = _clerk(project.unit)
    monthly = _month_of(project.planned_investment)
    started = project.milestones.get(name="开工建设")
    for number, share in enumerate(shares):
        month = months.shift(first, number)
        at = months.start(month) + dt.timedelta(days=9, hours=10)
        if share is None or at > now:
            continue
        last = number == len(shares) - 1
        actions.report_progress(
            project,
            acting_user=clerk,
            at=at,
            month=month,
            investment=(monthly * Decimal(str(share))).quantize(Decimal("0.01")),
            text="场地平整完成，主体结构施工中。" if number else "项目开工，完成桩基施工。",
            problems=[problem] if problem and last else [],
            milestones=[started.pk] if number == 0 else [],
        )
