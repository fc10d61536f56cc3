import pytest

from qitong.appeals.models import EscalationStep
from qitong.demo.city import ACCOUNTS, NotEmpty, load_demo_city
from qitong.enterprises.models import Enterprise
from qitong.enterprises.uscc import validate_uscc
from qitong.orgs.models import Region, Unit, User

pytestmark = pytest.mark.django_db


def test_the_demo_city_is_complete_valid_and_loaded_once():
    regions_before = Region.objects.count()
    accounts = load_demo_city()
    assert Region.objects.count() == regions_before  # the shipped divisions, none made up
    assert {unit.region.code for unit in Unit.objects.filter(kind=Unit.Kind.DISTRICT)} == {
        "370102",
        "370103",
        "370104",
    }
    assert Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).count() >= 15
    assert Unit.objects.filter(kind=Unit.Kind.TOWN).count() >= 6
    assert {
        "fgw",
        "gxj",
        "czj",
        "swj",
        "jrb",
        "tax",
        "zrzy",
        "sthj",
        "zjj",
        "rsj",
        "scjg",
        "jtys",
        "power",
    } <= set(Unit.objects.values_list("code", flat=True))
    enterprises = list(Enterprise.objects.all())
    assert len(enterprises) == 200
    for enterprise in enterprises:
        validate_uscc(enterprise.uscc)
        enterprise.full_clean()
        assert enterprise.region.code == enterprise.uscc[2:8]  # derived from the code
    assert {e.tier for e in enterprises} == {"key", "normal"}
    assert {e.size for e in enterprises} == {"large", "medium", "small", "micro"}
    assert len({e.industry[0] for e in enterprises}) >= 6
    assert {row[1] for row in ACCOUNTS} == set(User.Role.values)
    assert [row[0] for row in accounts] == [row[0] for row in ACCOUNTS]
    ladder = EscalationStep.objects.order_by("level").values_list("unit__code", flat=True)
    assert list(ladder) == ["office", "deputy-secgen", "vice-mayor", "mayor"]
    assert load_demo_city() == accounts
    assert Enterprise.objects.count() == 200


def test_the_demo_city_is_never_loaded_into_a_database_of_its_own():
    User.objects.create_user("zhang", password="not-the-demo-one")
    with pytest.raises(NotEmpty):
        load_demo_city()
    assert not Unit.objects.exists()
    assert list(User.objects.values_list("username", flat=True)) == ["zhang"]


def test_the_demo_appeals_walk_the_loop_through_the_actions():
    from qitong.appeals.models import Appeal, Event
    from tests.appeals.conftest import at

    load_demo_city(appeals=40, now=at("2026-11-30 10:00"))
    statuses = set(Appeal.objects.values_list("status", flat=True))
    assert {"submitted", "accepted", "in_progress", "pending_rating"} <= statuses
    assert (
        Event.objects.filter(action="dispatch").count()
        >= Appeal.objects.exclude(dispatched_at=None).count()
        > 0
    )
    assert not Appeal.objects.filter(created_at__gt=at("2026-11-30 10:00")).exists()
