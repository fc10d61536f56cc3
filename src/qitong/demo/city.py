"""The demo city: deterministic, so every ``make demo`` shows the same city.

A city with three districts and their towns; the service office, the city
departments named in the seeds, district offices, towns and the leaders of
the escalation ladder; about 200 enterprises with valid codes across
industries, sizes and tiers; and one account for each role.
"""

import datetime as dt
import random

from django.db import transaction

from qitong.appeals import actions, sweep
from qitong.appeals.models import Category, EscalationStep
from qitong.core import clock
from qitong.core.workdays import WorkCalendar
from qitong.enterprises.models import Contact, Enterprise, Qualification
from qitong.enterprises.uscc import CHARSET, make_uscc
from qitong.orgs.models import Region, Unit, User
from qitong.projects import demo as demo_projects
from qitong.visits import demo as demo_visits

DEMO_PASSWORD = "qitong-demo-2026"
ENTERPRISE_COUNT = 200
SEED = 2026

CITY = ("370100", "济南市")
DISTRICTS = [
    ("370102", "历下区", "lixia", ["解放路街道", "千佛山街道", "龙洞街道"]),
    ("370103", "市中区", "shizhong", ["大观园街道", "七贤街道", "党家街道"]),
    ("370104", "槐荫区", "huaiyin", ["振兴街街道", "匡山街道", "吴家堡街道"]),
]
DEPARTMENTS = [
    ("fgw", "市发展和改革委员会"),
    ("gxj", "市工业和信息化局"),
    ("czj", "市财政局"),
    ("swj", "市商务局"),
    ("jrb", "市地方金融监督管理局（金融办）"),
    ("tax", "国家税务总局济南市税务局"),
    ("zrzy", "市自然资源和规划局"),
    ("sthj", "市生态环境局"),
    ("zjj", "市住房和城乡建设局"),
    ("rsj", "市人力资源和社会保障局"),
    ("scjg", "市市场监督管理局"),
    ("jtys", "市交通运输局"),
    ("power", "国网济南供电公司"),
    ("kjj", "市科学技术局"),
    ("spj", "市行政审批服务局"),
    ("water", "市水务局"),
    ("yjj", "市应急管理局"),
]
LEADERS = [
    ("deputy-secgen", "分管副秘书长"),
    ("vice-mayor", "分管副市长"),
    ("mayor", "市长"),
]
QUALIFICATIONS = [
    ("high-tech", "高新技术企业"),
    ("specialized", "专精特新中小企业"),
    ("little-giant", "专精特新“小巨人”企业"),
    ("tech-sme", "科技型中小企业"),
    ("gazelle", "瞪羚企业"),
]
# (industry code, words for the name, probability of being above scale)
INDUSTRIES = [
    ("C3989", ["电子元件", "传感器", "智能终端"], 0.6),
    ("C3311", ["钢结构", "金属制品"], 0.7),
    ("C2710", ["生物医药", "制药"], 0.6),
    ("C3670", ["汽车零部件", "新能源汽车配件"], 0.7),
    ("C3484", ["机械装备", "数控机床"], 0.6),
    ("C1469", ["食品", "调味品"], 0.4),
    ("I6513", ["软件", "信息技术"], 0.2),
    ("I6450", ["数据科技", "云计算"], 0.2),
    ("F5191", ["商贸", "供应链"], 0.1),
    ("E4813", ["建设工程", "市政工程"], 0.3),
    ("G5430", ["物流", "运输"], 0.2),
    ("M7320", ["检测技术", "工程技术研究"], 0.1),
    ("D4411", ["能源", "电力"], 0.8),
    ("H6110", ["酒店管理", "餐饮"], 0.0),
]
NAME_PREFIXES = list("泉鲁齐华泰润恒瑞宏鼎金海明远嘉诚信达佳新兴盛")
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚")

ACCOUNTS = [
    # username, role, scope, display name
    ("admin", User.Role.ADMIN, "unit:office", "系统管理员"),
    ("office", User.Role.OFFICE, "unit:office", "市服务企业办公室 值班员"),
    ("lixia-office", User.Role.OFFICE, "unit:lixia-office", "历下区服务企业办公室 值班员"),
    ("fgw", User.Role.UNIT, "unit:fgw", "市发展改革委 经办人"),
    ("gxj", User.Role.UNIT, "unit:gxj", "市工信局 经办人"),
    ("leader", User.Role.LEADER, "unit:vice-mayor", "分管副市长"),
    ("enterprise", User.Role.ENTERPRISE, "enterprise:0", "企业联络员"),
    ("auditor", User.Role.AUDITOR, "unit:office", "安全审计员"),
]


def _person(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _uscc(rng, region_code):
    organisation = "".join(rng.choice(CHARSET) for _ in range(9))
    return make_uscc("91" + region_code + organisation)


class NotEmpty(Exception):
    """The database holds units or users of its own: not the demo city's."""


@transaction.atomic
def load_demo_city(*, appeals=0, now=None):
    """Create the demo city; does nothing when it is already there. Returns the accounts.

    With ``appeals`` > 0 it also files that many appeals over the past weeks
    and takes each some way through the loop (``qitong demo`` asks for 60).
    Only into an empty database (``NotEmpty`` otherwise): its accounts share a
    published password and one is a superuser, which must never reach a real
    installation — ``qitong demo`` run with a production environment, say.
    """
    names = [row[0] for row in ACCOUNTS]
    if Unit.objects.filter(code="office").exists() and User.objects.filter(
        username__in=names
    ).count() == len(names):
        return demo_accounts()
    if Unit.objects.exists() or User.objects.exists():
        raise NotEmpty
    rng = random.Random(SEED)

    # The divisions come with the installation (migration orgs.0004).
    city = Region.objects.get(code=CITY[0])
    office = Unit.objects.create(
        code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE, region=city
    )
    for code, name in DEPARTMENTS:
        Unit.objects.create(code=code, name=name, kind=Unit.Kind.DEPARTMENT, region=city)
    for code, name in LEADERS:
        Unit.objects.create(code=code, name=name, kind=Unit.Kind.LEADER, region=city, parent=office)
    # The escalation ladder: office → deputy secretary-general → vice mayor → mayor.
    for level, code in enumerate(["office", *(code for code, _name in LEADERS)], start=1):
        EscalationStep.objects.filter(level=level).update(unit=Unit.objects.get(code=code))

    districts = []
    for region_code, name, slug, towns in DISTRICTS:
        region = Region.objects.get(code=region_code, parent=city)
        district = Unit.objects.create(
            code=slug, name=f"{name}人民政府", kind=Unit.Kind.DISTRICT, region=region
        )
        Unit.objects.create(
            code=f"{slug}-office",
            name=f"{name}服务企业办公室",
            kind=Unit.Kind.OFFICE,
            region=region,
            parent=district,
        )
        for number, town in enumerate(towns, start=1):
            Unit.objects.create(
                code=f"{slug}-town{number}",
                name=f"{name}{town}",
                kind=Unit.Kind.TOWN,
                region=region,
                parent=district,
            )
        districts.append(region)

    qualifications = [
        Qualification.objects.create(code=code, name=name) for code, name in QUALIFICATIONS
    ]

    used_names, used_codes, enterprises = set(), set(), []
    while len(enterprises) < ENTERPRISE_COUNT:
        industry, words, above_share = rng.choice(INDUSTRIES)
        name = f"{CITY[1][:2]}{''.join(rng.sample(NAME_PREFIXES, 2))}{rng.choice(words)}有限公司"
        code = _uscc(rng, rng.choice(districts).code)
        if name in used_names or code in used_codes:
            continue
        used_names.add(name)
        used_codes.add(code)
        size = rng.choices(list(Enterprise.Size), weights=(1, 3, 5, 4))[0]
        tier = (
            Enterprise.Tier.KEY
            if size == Enterprise.Size.LARGE or rng.random() < 0.08
            else Enterprise.Tier.NORMAL
        )
        enterprise = Enterprise(
            uscc=code,
            name=name,
            industry=industry,
            size=size,
            tier=tier,
            above_scale=rng.random() < above_share,
        )
        enterprise.assign_region()  # bulk_create skips save(): the region comes from the code
        enterprise.address = (
            f"{enterprise.region.name}{rng.choice(NAME_PREFIXES)}{rng.randint(1, 300)}号"
        )
        enterprises.append(enterprise)
    Enterprise.objects.bulk_create(enterprises)
    enterprises = list(Enterprise.objects.order_by("id"))
    contacts = []
    for enterprise in enterprises:
        contacts.append(
            Contact(
                enterprise=enterprise,
                name=_person(rng),
                title=rng.choice(["总经理", "办公室主任", "财务总监", "行政经理"]),
                phone=f"13{rng.randint(100000000, 999999999)}",
                is_primary=True,
            )
        )
        held = rng.sample(qualifications, k=rng.choice((0, 0, 1, 1, 2)))
        if held:
            enterprise.qualifications.add(*held)
    Contact.objects.bulk_create(contacts)

    for username, role, scope, display in ACCOUNTS:
        kind, _sep, key = scope.partition(":")
        user = User(
            username=username,
            first_name=display,
            role=role,
            unit=Unit.objects.get(code=key)
            if kind == "unit" and role != User.Role.ENTERPRISE
            else None,
            enterprise=enterprises[int(key)] if kind == "enterprise" else None,
            is_staff=role == User.Role.ADMIN,
            is_superuser=role == User.Role.ADMIN,
        )
        user.set_password(DEMO_PASSWORD)
        user.full_clean()
        user.save()
    if appeals:
        load_demo_appeals(appeals, now=now or clock.now(), rng=rng)
    demo_projects.load(now=now or clock.now())
    demo_visits.load(now=now or clock.now())
    return demo_accounts()


def demo_accounts():
    users = User.objects.filter(username__in=[row[0] for row in ACCOUNTS]).select_related(
        "unit", "enterprise"
    )
    by_name = {user.username: user for user in users}
    return [
        (
            username,
            by_name[username].get_role_display(),
            str(by_name[username].unit or by_name[username].enterprise),
        )
        for username, *_rest in ACCOUNTS
        if username in by_name
    ]


# category code → (lead unit, titles); the contents are written out below.
DEMO_TOPICS = {
    "factors-land": ("zrzy", ["新厂区用地指标迟迟未落实", "工业用地规划调整咨询"]),
    "factors-power": ("power", ["新上生产线需增容 2000 千伏安", "园区频繁停电影响生产"]),
    "factors-labour": ("rsj", ["一线技工招工困难", "申请稳岗补贴进度查询"]),
    "financing-loan": ("jrb", ["流动资金贷款到期续贷困难", "申请科技型企业信用贷款"]),
    "business-env-tax": ("tax", ["研发费用加计扣除政策适用问题", "出口退税办理周期过长"]),
    "business-env-permits": ("spj", ["技改项目环评审批材料咨询", "施工许可办理环节多"]),
    "environment": ("sthj", ["排污许可证延续办理", "环保设备改造补助申请"]),
    "innovation": ("kjj", ["高新技术企业认定申报指导", "研发平台建设补助兑现"]),
    "projects-approval": ("fgw", ["重点项目前期手续并联审批", "项目入库申报咨询"]),
    "policy": ("gxj", ["专精特新企业奖励政策兑现", "技术改造奖补资金何时拨付"]),
}


def load_demo_appeals(count, *, now, rng):
    """File ``count`` appeals over the past six weeks and move each some way along.

    Everything goes through the actions with travelled instants, so the
    timelines, deadlines, supervisions and figures are what real use makes.
    """
    calendar = WorkCalendar()
    enterprises = list(Enterprise.objects.order_by("id"))
    office_user = User.objects.get(username="office")
    unit_users = {
        unit.code: _demo_clerk(unit)
        for unit in Unit.objects.filter(code__in=[v[0] for v in DEMO_TOPICS.values()])
    }
    categories = {c.code: c for c in Category.objects.filter(code__in=DEMO_TOPICS)}
    for number in range(count):
        code = rng.choice(sorted(DEMO_TOPICS))
        lead, titles = DEMO_TOPICS[code]
        # The demo enterprise account's own company gets the first few.
        enterprise = enterprises[0] if number < 6 else rng.choice(enterprises)
        start = calendar.add(now - _weeks(rng), rng.choice((0.1, 0.3, 0.6))).at
        if start > now:
            continue
        contact = enterprise.contacts.first()
        appeal, _created = actions.file_appeal(
            acting_user=office_user,
            enterprise=enterprise,
            title=rng.choice(titles),
            content=f"{enterprise.name}反映：{rng.choice(titles)}，已多次沟通未果，请协调解决。",
            channel=rng.choice(["web", "mobile", "wechat", "hotline12345", "visit"]),
            category=categories[code],
            major=number % 17 == 0,
            contact_name=contact.name if contact else "",
            contact_phone=contact.phone if contact else "",
            at=start,
        )
        _advance(appeal, start, now, calendar, rng, office_user, unit_users[lead], lead)
    sweep.run(now)


def _weeks(rng):
    return dt.timedelta(days=rng.randint(1, 42), hours=rng.randint(0, 8))


def _demo_clerk(unit):
    clerk = User.objects.filter(unit=unit, role=User.Role.UNIT).first()
    if clerk is None:
        clerk = User.objects.create(
            username=f"{unit.code}-clerk",
            first_name=f"{unit.name} 经办人",
            role=User.Role.UNIT,
            unit=unit,
        )
        clerk.set_unusable_password()
        clerk.save()
    return clerk


def _advance(appeal, start, now, calendar, rng, office_user, clerk, lead):
    """Walk the appeal through the loop while each next step's instant is in the past."""
    steps = rng.randint(0, 9)
    at = start

    def later(days):
        nonlocal at
        at = calendar.add(at, days).at
        return at <= now

    if steps < 1 or not later(0.1):
        return
    appeal = actions.accept(appeal, acting_user=office_user, at=at)
    if steps < 2 or not later(0.2):
        return
    appeal = actions.dispatch(
        appeal, acting_user=office_user, at=at, mode="transfer", lead_unit=lead
    )
    if steps < 3 or not later(rng.choice((0.1, 0.3, 1.5))):
        return
    appeal = actions.sign(appeal, acting_user=clerk, at=at)
    if steps == 3 and rng.random() < 0.3:
        actions.return_to_office(
            appeal, acting_user=clerk, at=at, reason="该事项不属于本单位职责，请重新派单。"
        )
        return
    if steps < 4 or not later(rng.choice((0.2, 0.5, 1.5))):
        return
    appeal = actions.contact(
        appeal, acting_user=clerk, at=at, note="已电话联系企业负责人，了解具体情况。"
    )
    if steps < 5 or not later(rng.choice((0.5, 1.5, 3))):
        return
    appeal = actions.reply(appeal, acting_user=clerk, at=at, note="已答复企业办理路径和所需材料。")
    if steps < 6 or not later(rng.choice((3, 8, 16))):
        return
    appeal = actions.resolve(
        appeal, acting_user=clerk, at=at, result="经协调，问题已解决，企业已确认。"
    )
    if steps < 7 or not later(0.5):
        return
    appeal = actions.approve(appeal, acting_user=office_user, at=at)
    if steps < 8 or not later(1):
        return
    rater = User.objects.filter(enterprise=appeal.enterprise).first()
    if rater is not None:
        result = rng.choice(
            ["satisfied", "satisfied", "satisfied", "basically_satisfied", "unsatisfied"]
        )
        actions.rate(appeal, acting_user=rater, at=at, process="satisfied", result=result)
