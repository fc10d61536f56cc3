"""Who sees and does what with key projects: the only road from a request to a project.

Built on ``qitong.orgs.scope``:
- whoever ``sees_all`` (the city service office, leaders, admins) sees every project;
- a district service office sees the projects of its district, and keeps them
  (registers, edits, closes, hands their problems on); the city office keeps all;
- a unit sees the projects it is responsible for and those whose team it is on,
  and reports the monthly progress of the first;
- the public board (``board_projects``) shows the public projects to anyone,
  signed in or not, by their public fields only.
Anything else is 404, never 403.
"""

from django.db.models import Q
from django.http import Http404

from qitong.orgs import scope
from qitong.projects.models import Project

Role = scope.Role


def _district_of(office_user):
    """The district a district office works in (its parent unit); None for the city office."""
    return None if scope.is_city_office(office_user.unit) else office_user.unit.parent_id


def visible_projects(user):
    """Every project ``user`` may see, as a queryset: the start of every list, page and export."""
    projects = Project.objects.all()
    if scope.sees_all(user):
        return projects
    if scope.has_role(user, Role.OFFICE):
        return projects.filter(district_id=_district_of(user))
    if scope.has_role(user, Role.UNIT):
        teams = Project.team.through.objects.filter(user_id=user.pk).values("project_id")
        return projects.filter(Q(unit_id=user.unit_id) | Q(pk__in=teams))
    return projects.none()


def access_project_for_user(user, project_id):
    """The project if ``user`` may see it; otherwise ``Http404``."""
    try:
        return (
            visible_projects(user)
            .select_related("enterprise", "district", "unit", "leader")
            .get(pk=int(project_id))
        )
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def keeps_registry(user):
    """The service offices register projects (a district office within its district)."""
    return scope.has_role(user, Role.OFFICE)


def keeps_district(user, district):
    """Whether ``user`` may register or keep projects in ``district`` (a district unit)."""
    if not keeps_registry(user):
        return False
    return scope.is_city_office(user.unit) or district.pk == _district_of(user)


def keeps_project(user, project):
    """The office in charge of the project: the city office, or its district's office."""
    return keeps_registry(user) and (
        scope.is_city_office(user.unit) or project.district_id == _district_of(user)
    )


def reports_for(user, project):
    """The responsible unit's staff, who report the project's monthly progress."""
    return scope.has_role(user, Role.UNIT) and user.unit_id == project.unit_id


def reads_rankings(user):
    """The monthly rankings and warnings are a bulletin (通报) to all government staff."""
    return scope.is_officer(user)


def board_projects():
    """What the public progress board lists: public projects not withdrawn."""
    return Project.objects.filter(public=True).exclude(state=Project.State.WITHDRAWN)
