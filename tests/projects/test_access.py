"""Who sees which projects: the city office and leaders all, a district office its
district, a unit its own and its team's, nobody else any; 404 for the rest."""

import pytest
from django.http import Http404

from qitong.projects.access import access_project_for_user, visible_projects

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(city):
    return {
        "lixia": city.register("历下项目"),
        "shizhong": city.register(
            "市中项目", district=city.shizhong, unit=city.gxj, team=[city.zjj_user]
        ),
    }


def seen(user):
    return set(visible_projects(user).values_list("name", flat=True))


def test_each_role_sees_its_projects(city, projects):
    both = {"历下项目", "市中项目"}
    assert seen(city.office_user) == both
    assert seen(city.leader_user) == seen(city.mayor_user) == both
    assert seen(city.district_user) == {"历下项目"}
    assert seen(city.shizhong_user) == {"市中项目"}
    assert seen(city.fgw_user) == {"历下项目"}
    assert seen(city.gxj_user) == {"市中项目"}
    assert seen(city.zjj_user) == {"市中项目"}  # on its team
    assert seen(city.town_user) == set()
    assert seen(city.ent_user) == set()


def test_the_road_to_a_project_is_404_for_what_the_user_may_not_see(city, projects):
    assert access_project_for_user(city.fgw_user, projects["lixia"].pk) == projects["lixia"]
    for user, key in (
        (city.fgw_user, "shizhong"),
        (city.district_user, "shizhong"),
        (city.ent_user, "lixia"),
    ):
        with pytest.raises(Http404):
            access_project_for_user(user, projects[key].pk)
    with pytest.raises(Http404):
        access_project_for_user(city.office_user, "nonsense")
