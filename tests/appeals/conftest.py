"""Personas of the appeal loop: the city, its office, units, a district, enterprises."""

import datetime as dt

import pytest

from qitong.appeals import actions
from qitong.appeals.models import EscalationStep
from qitong.core.clock import SHANGHAI
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, Unit, User
from tests.conftest import _user


def at(text):
    """An instant in Asia/Shanghai from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


class City:
    """The cast, built once per test on the real database."""

    def __init__(self):
        self.city = Region.objects.get(code="370100")  # shipped by the migration
        self.lixia = Region.objects.get(code="370102")
        self.office = Unit.objects.create(
            code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE
        )
        self.fgw = Unit.objects.create(
            code="fgw", name="市发展和改革委员会", kind=Unit.Kind.DEPARTMENT
        )
        self.gxj = Unit.objects.create(
            code="gxj", name="市工业和信息化局", kind=Unit.Kind.DEPARTMENT
        )
        self.zjj = Unit.objects.create(
            code="zjj", name="市住房和城乡建设局", kind=Unit.Kind.DEPARTMENT
        )
        self.district = Unit.objects.create(
            code="lixia", name="历下区人民政府", kind=Unit.Kind.DISTRICT
        )
        self.district_office = Unit.objects.create(
            code="lixia-office",
            name="历下区服务企业办公室",
            kind=Unit.Kind.OFFICE,
            parent=self.district,
        )
        self.town = Unit.objects.create(
            code="lixia-town1", name="历下区解放路街道", kind=Unit.Kind.TOWN, parent=self.district
        )
        self.vice_mayor = Unit.objects.create(
            code="vice-mayor", name="分管副市长", kind=Unit.Kind.LEADER
        )
        EscalationStep.objects.filter(level=1).update(unit=self.office)
        EscalationStep.objects.filter(level=3).update(unit=self.vice_mayor)

        self.company = Enterprise.objects.create(
            uscc=make_uscc("91370102MA3C00001"),
            name="济南泉华电子有限公司",
            region=self.lixia,
            industry="C3989",
        )
        self.key_company = Enterprise.objects.create(
            uscc=make_uscc("91370102MA3C00002"),
            name="济南重工集团有限公司",
            region=self.lixia,
            industry="C3484",
            tier=Enterprise.Tier.KEY,
            size=Enterprise.Size.LARGE,
        )
        self.other_company = Enterprise.objects.create(
            uscc=make_uscc("91370102MA3C00003"),
            name="济南其他贸易有限公司",
            region=self.lixia,
            industry="F5191",
        )
        self.office_user = _user(
            "office", User.Role.OFFICE, unit=self.office, email="office@example.org"
        )
        self.district_user = _user("lixia-office", User.Role.OFFICE, unit=self.district_office)
        self.fgw_user = _user("fgw", User.Role.UNIT, unit=self.fgw, email="fgw@example.org")
        self.gxj_user = _user("gxj", User.Role.UNIT, unit=self.gxj)
        self.zjj_user = _user("zjj", User.Role.UNIT, unit=self.zjj)
        self.town_user = _user("town", User.Role.UNIT, unit=self.town)
        self.ent_user = _user("ent", User.Role.ENTERPRISE, enterprise=self.company)
        self.key_user = _user("key", User.Role.ENTERPRISE, enterprise=self.key_company)
        self.other_user = _user("other", User.Role.ENTERPRISE, enterprise=self.other_company)
        self.leader_user = _user("leader", User.Role.LEADER, unit=self.vice_mayor)

    def file(self, enterprise=None, *, when=None, **fields):
        enterprise = enterprise or self.company
        user = {self.company: self.ent_user, self.key_company: self.key_user}.get(
            enterprise, self.office_user
        )
        data = {
            "title": "用电增容审批缓慢",
            "content": "新厂房需要增容 2000 千伏安，申请两个月未批复。",
            "channel": "web",
        }
        data.update(fields)
        appeal, _created = actions.file_appeal(
            acting_user=user, enterprise=enterprise, at=when, **data
        )
        return appeal

    def dispatched(
        self, enterprise=None, *, when, mode="transfer", lead="fgw", co=(), complex=False, **fields
    ):
        appeal = self.file(enterprise, when=when, **fields)
        actions.accept(appeal, acting_user=self.office_user, at=when)
        return actions.dispatch(
            appeal,
            acting_user=self.office_user,
            at=when,
            mode=mode,
            lead_unit=lead if mode != "direct" else None,
            co_units=list(co),
            complex=complex,
        )


@pytest.fixture
def city(db):
    return City()
