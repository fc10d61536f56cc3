"""Pairing and a visit batch for the demo city (``qitong.demo.city`` calls ``load``).

The vice mayor pairs two key enterprises, two departments four enterprises,
each district's first town three; a batch covers them all, with visits by
the city office and by the development and reform commission (each
difficulty filed as an appeal at once, or one solved on the spot), and a
check-in or two. Some pairings are left
overdue, so the workbench and the cockpit have something to show. Everything
goes through the actions with travelled instants, as real use makes it.
"""

import datetime as dt

from qitong.core.clock import local
from qitong.enterprises.models import Enterprise
from qitong.orgs.models import Unit, User
from qitong.visits import actions

ANSWERS = {
    "orders": "在手订单可排产至三个月后，同比增长约一成。",
    "hiring": "一线普工缺口约 30 人，熟练焊工难招。",
    "talent": "需要自动化控制方向的工程师。",
    "automation": "已上两条焊接机器人线，计划明年再上一条。",
    "financing": "流动资金偏紧，希望对接低息贷款。",
    "upgrading": "正在实施设备更新改造项目。",
    "suggestions": "希望政策兑现流程再简化。",
}
# enterprise (by its place among the demo's), difficulties, visitor's username
VISITS = [
    (0, [{"text": "新厂房用电增容审批缓慢，影响投产。"}], "office"),
    (
        1,
        [{"text": "企业门前道路破损，货车通行困难。"}, {"text": "希望协调高校对接人才招聘。"}],
        "office",
    ),
    (
        2,
        [
            {"text": "技改项目设备补贴申报材料不清楚。"},
            {
                "text": "不清楚研发费用加计扣除口径。",
                "solved": True,
                "solution": "现场讲解了政策口径。",
            },
        ],
        "fgw",
    ),
]


def load(*, now):
    """Pair, plan a batch and record its visits; returns the batch."""
    office = User.objects.get(username="office")
    leader = User.objects.get(username="leader")
    started = now - dt.timedelta(days=60)
    keys = list(Enterprise.objects.filter(tier=Enterprise.Tier.KEY).order_by("id")[:2])
    others = list(Enterprise.objects.exclude(pk__in=[e.pk for e in keys]).order_by("id")[:13])
    paired = []
    for enterprise in keys:
        actions.pair(acting_user=office, enterprise=enterprise, leader=leader, at=started)
        paired.append(enterprise)
    units = [Unit.objects.get(code="fgw"), Unit.objects.get(code="gxj")]
    towns = list(Unit.objects.filter(kind=Unit.Kind.TOWN, code__endswith="-town1").order_by("code"))
    for number, enterprise in enumerate(others[:4]):
        actions.pair(acting_user=office, enterprise=enterprise, unit=units[number % 2], at=started)
        paired.append(enterprise)
    for number, enterprise in enumerate(others[4:13]):
        actions.pair(
            acting_user=office, enterprise=enterprise, unit=towns[number % len(towns)], at=started
        )
        paired.append(enterprise)
    today = local(now).date()
    batch = actions.create_batch(
        acting_user=office,
        name=f"{today:%Y}年第一批集中走访",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=30),
        enterprises=[e.pk for e in paired],
        at=now - dt.timedelta(days=30),
    )
    for number, (place, difficulties, username) in enumerate(VISITS):
        actions.record_visit(
            acting_user=User.objects.get(username=username),
            enterprise=others[place] if username == "fgw" else paired[place],
            answers=ANSWERS,
            difficulties=difficulties,
            batch=batch,
            at=now - dt.timedelta(days=20 - 5 * number, hours=-10),
        )
    fgw = User.objects.get(username="fgw")
    for pairing in fgw.unit.pairings.filter(ended_at__isnull=True):
        actions.check_in(
            pairing, acting_user=fgw, note="生产经营正常。", at=now - dt.timedelta(days=3)
        )
    return batch
