"""Personas of key projects: the appeal loop's city with a second district, its office,
the district governments' staff, a second leader, and projects built through the actions."""

import pytest

from qitong.orgs.models import Unit, User
from qitong.projects import actions, ranking
from tests.appeals.conftest import City, at
from tests.conftest import _user
from tests.notify.conftest import mailbox, smtp_port, smtp_server  # noqa: F401 - fixtures

REGISTERED = at("2026-01-05 10:00")
# An even plan: 100 万元 a month, 1,200 by December, no milestone before then.
EVEN = [{"name": "竣工投产", "month": "2026-12", "investment": "1200"}]
# A plan of 1,200 万元: 100 by January (开工), 600 by June (主体封顶), 1,200 by December (竣工).
PLAN = [
    {"name": "开工", "month": "2026-01", "investment": "100"},
    {"name": "主体封顶", "month": "2026-06", "investment": "600"},
    {"name": "竣工投产", "month": "2026-12", "investment": "1200"},
]


def in_month(month, day=10):
    """An instant inside ``month`` (``YYYY-MM``), during office hours."""
    return at(f"{month}-{day:02d} 10:00")


class ProjectCity(City):
    def __init__(self):
        super().__init__()
        self.shizhong = Unit.objects.create(
            code="shizhong", name="市中区人民政府", kind=Unit.Kind.DISTRICT
        )
        self.shizhong_office = Unit.objects.create(
            code="shizhong-office",
            name="市中区服务企业办公室",
            kind=Unit.Kind.OFFICE,
            parent=self.shizhong,
        )
        self.shizhong_user = _user("shizhong-office", User.Role.OFFICE, unit=self.shizhong_office)
        self.lixia_gov_user = _user("lixia-gov", User.Role.UNIT, unit=self.district)
        self.shizhong_gov_user = _user("shizhong-gov", User.Role.UNIT, unit=self.shizhong)
        self.mayor = Unit.objects.create(code="mayor", name="市长", kind=Unit.Kind.LEADER)
        self.mayor_user = _user("mayor", User.Role.LEADER, unit=self.mayor)
        self.leader_user.email = "leader@example.org"
        self.leader_user.save(update_fields=["email"])

    def register(self, name="历下智能制造产业园", *, by=None, when=REGISTERED, **fields):
        data = {
            "enterprise": self.company,
            "planned_investment": "1200",
            "district": self.district,
            "leader": self.leader_user,
            "unit": self.fgw,
            "start_month": "2026-01",
            "milestones": EVEN,
        }
        data.update(fields)
        return actions.register_project(
            acting_user=by or self.office_user, at=when, name=name, **data
        )

    def report(self, project, month, investment, *, by=None, when=None, text=None, **fields):
        by = by or User.objects.filter(unit_id=project.unit_id, role=User.Role.UNIT).first()
        report, _created = actions.report_progress(
            project,
            acting_user=by,
            at=when or in_month(month),
            month=month,
            investment=investment,
            text=text or f"{month} 按计划推进，现场施工正常。",
            **fields,
        )
        return report

    def close(self, month):
        """Rank ``month`` as the job does on its close day."""
        return ranking.close_month(month, at=in_month(ranking.months.shift(month, 1), 6))


@pytest.fixture
def city(db):
    return ProjectCity()
