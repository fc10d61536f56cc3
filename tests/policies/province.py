"""Personas of the policy push: enterprises across Shandong with their profiles and users,
and policies with conditions, made as staff and the classifier would leave them."""

import datetime as dt

from qitong.enterprises.models import Enterprise, Qualification
from qitong.enterprises.uscc import make_uscc
from qitong.orgs.models import Region, User
from qitong.policies.models import Policy
from tests.conftest import _user


class Province:
    """Five enterprises (one with no region), each with a user, and three qualifications."""

    def __init__(self):
        self.shandong = Region.objects.get(code="370000")
        self.jinan = Region.objects.get(code="370100")
        self.lixia = Region.objects.get(code="370102")
        self.shizhong = Region.objects.get(code="370103")
        self.qingdao = Region.objects.get(code="370200")
        self.shinan = Region.objects.get(code="370202")
        self.high_tech = Qualification.objects.create(code="high-tech", name="高新技术企业")
        self.specialized = Qualification.objects.create(code="specialized", name="专精特新中小企业")
        self.tech_sme = Qualification.objects.create(code="tech-sme", name="科技型中小企业")
        E = Enterprise
        self.quanhua = self.enterprise(
            "济南泉华电子有限公司", "00001", self.lixia, "C3989", E.Size.SMALL, E.Tier.NORMAL,
            [self.high_tech],
        )  # fmt: skip
        self.heavy = self.enterprise(
            "济南重工集团有限公司", "00002", self.lixia, "C3484", E.Size.LARGE, E.Tier.KEY, []
        )
        self.trade = self.enterprise(
            "济南鲁华商贸有限公司", "00003", self.shizhong, "F5191", E.Size.MICRO, E.Tier.NORMAL,
            [self.specialized],
        )  # fmt: skip
        self.haier = self.enterprise(
            "青岛海纳电子有限公司", "00004", self.shinan, "C3989", E.Size.SMALL, E.Tier.NORMAL,
            [self.high_tech, self.tech_sme],
        )  # fmt: skip
        # Registered under a code whose division is unknown: no region.
        self.nowhere = self.enterprise(
            "无区划科技有限公司", "00005", None, "I6513", E.Size.MEDIUM, E.Tier.NORMAL, [],
            uscc=make_uscc("91999999MA3C00005"),
        )  # fmt: skip
        self.enterprises = [self.quanhua, self.heavy, self.trade, self.haier, self.nowhere]
        self.users = {
            enterprise.pk: _user(
                f"ent{number}",
                User.Role.ENTERPRISE,
                enterprise=enterprise,
                email=f"ent{number}@example.org",
            )
            for number, enterprise in enumerate(self.enterprises, start=1)
        }

    @staticmethod
    def enterprise(name, serial, region, industry, size, tier, qualifications, uscc=None):
        code = region.code if region else "370102"
        enterprise = Enterprise.objects.create(
            uscc=uscc or make_uscc(f"91{code}MA3C{serial}"),
            name=name,
            region=region,
            industry=industry,
            size=size,
            tier=tier,
        )
        enterprise.qualifications.set(qualifications)
        return enterprise

    def user(self, enterprise):
        return self.users[enterprise.pk]

    def policy(
        self, title="关于支持中小企业发展的若干措施", *, regions=(), qualifications=(), **fields
    ):
        values = {
            "category": Policy.Category.TECHNOLOGY,
            "issuer": "济南市人民政府",
            "published": dt.date(2026, 11, 2),
            "public": True,
        }
        values.update(fields)
        policy = Policy.objects.create(title=title, **values)
        policy.regions.set(regions)
        policy.qualifications.set(qualifications)
        return policy
