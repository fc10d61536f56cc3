"""The permission matrix: every role × every URL × an object inside and outside its scope.

The URLs are read from the resolver, so a new page or endpoint is covered (or,
unclassified, fails ``test_every_url_is_classified``). ``URLS`` classifies each
by name: which roles may read it, and how to build its arguments for an object
the role may see (``in_scope``) and one it may not. Then, for every role:

- GET of a URL the role may read, with an in-scope object, answers 200;
- GET of anything else answers 302 to the login page, 401, 403, 404 or 405;
- no answer a role gets (pages, API, .xlsx and .pdf files) holds a marker of an
  object outside its scope: a case's title, an enterprise's name, a contact's
  phone, a project's name, a visit's note, a hidden policy's title, another
  user's message: so an out-of-scope object appears in no list, count line or export;
- API lists name only in-scope ids;
- POST to a URL with an out-of-scope object, or by a role that may not use the
  URL at all, is refused and changes no row.

The world is built once per module (two sides, A and B, of each kind of object:
an enterprise in each of two districts, a unit in each, their cases, pairings,
visits, projects) and every test runs in a transaction rolled back after it.
"""

import contextlib
import functools
import hashlib
import io
import sqlite3
import zipfile
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from qitong.appeals import actions as appeal_actions
from qitong.appeals.models import EscalationStep
from qitong.assessment.models import Bulletin
from qitong.audit.trail import Action, record
from qitong.core.models import Job
from qitong.enterprises.models import Contact, Enterprise
from qitong.enterprises.uscc import make_uscc
from qitong.integrations import actions as integration_actions
from qitong.integrations.models import Integration, Publication, ServiceRequest
from qitong.notify.models import Message
from qitong.orgs.models import Region, Unit, User
from qitong.policies.models import Attachment as PolicyAttachment
from qitong.policies.models import CrawlRun, Policy, PolicySource, Push
from qitong.projects import actions as project_actions
from qitong.visits import actions as visit_actions
from qitong.visits.models import Difficulty
from tests.appeals.conftest import at
from tests.appeals.files import PDF, png

ROLES = (
    "anon",
    "ent_a",  # enterprise user of enterprise A (in district D, 历下)
    "ent_b",  # enterprise user of enterprise B (in district E, 市中)
    "clerk_x",  # unit X: a town of district D, paired with A, leading A's case and project
    "clerk_y",  # unit Y: a city department, paired with B, leading B's case and project
    "office_d",  # the district office of D
    "office",  # the city service office
    "leader",
    "auditor",
    "admin",
)
SEES_ALL = {"office", "leader", "admin"}
OFFICERS = {"clerk_x", "clerk_y", "office_d", "office", "leader", "admin"}
STAFF_OFFICES = {"office_d", "office"}
ENTERPRISES = {"ent_a", "ent_b"}
SIGNED_IN = set(ROLES) - {"anon"}
EVERYONE = set(ROLES)

# Which side (A, B) of each kind of object each role may see: the policy the access
# modules implement, written out by hand so the test does not ask them.
SIDES = {
    # cases, enterprises' files and contacts, pairings, visits
    "case": {
        "ent_a": {"a"},
        "ent_b": {"b"},
        "clerk_x": {"a"},
        "clerk_y": {"b"},
        "office_d": {"a"},
        **{role: {"a", "b"} for role in SEES_ALL},
    },
    # key projects: government only
    "project": {
        "clerk_x": {"a"},
        "clerk_y": {"b"},
        "office_d": {"a"},
        **{role: {"a", "b"} for role in SEES_ALL},
    },
}
# Phones in full: their enterprise only (staff see them masked, and reveal one with a reason).
SIDES["phone"] = {"ent_a": {"a"}, "ent_b": {"b"}}
# ... but for the API's case answer, which shows the contact phone in full to the case's
# office and lead unit (each read on the audit trail).
API_PHONES = {
    **SIDES["phone"],
    "office": {"a", "b"},  # the city office is the office of every case
    "office_d": {"a"},  # A's office after the hand-over
    "clerk_x": {"a"},  # A's lead unit
    "clerk_y": {"b"},  # B's lead unit
}
# Open311 requests: the service offices and admins decide on every one.
SIDES["open311"] = {role: {"a"} for role in ("office_d", "office", "admin")}
SIDES["enterprise"] = SIDES["visit"] = SIDES["pairing"] = SIDES["project_name"] = SIDES["case"]


def sides(family, role):
    return SIDES[family].get(role, set())


# ---------------------------------------------------------------------------------------
# The world


class World:
    def __init__(self):
        when = at("2026-11-02 10:00")
        self.when = when
        lixia = Region.objects.get(code="370102")
        shizhong = Region.objects.get(code="370103")
        self.city_office = Unit.objects.create(
            code="office", name="市服务企业办公室", kind=Unit.Kind.OFFICE
        )
        district_d = Unit.objects.create(
            code="lixia", name="历下区人民政府", kind=Unit.Kind.DISTRICT, region=lixia
        )
        self.office_d = Unit.objects.create(
            code="lixia-office",
            name="历下区服务企业办公室",
            kind=Unit.Kind.OFFICE,
            parent=district_d,
            region=lixia,
        )
        district_e = Unit.objects.create(
            code="shizhong", name="市中区人民政府", kind=Unit.Kind.DISTRICT, region=shizhong
        )
        Unit.objects.create(
            code="shizhong-office",
            name="市中区服务企业办公室",
            kind=Unit.Kind.OFFICE,
            parent=district_e,
            region=shizhong,
        )
        self.unit_x = Unit.objects.create(
            code="lixia-town1", name="历下区解放路街道", kind=Unit.Kind.TOWN, parent=district_d
        )
        self.unit_y = Unit.objects.create(
            code="gxj", name="市工业和信息化局", kind=Unit.Kind.DEPARTMENT
        )
        leader_unit = Unit.objects.create(
            code="vice-mayor", name="分管副市长", kind=Unit.Kind.LEADER
        )
        EscalationStep.objects.filter(level=1).update(unit=self.city_office)
        EscalationStep.objects.filter(level=3).update(unit=leader_unit)
        self.ent = {
            "a": Enterprise.objects.create(
                uscc=make_uscc("91370102MA3C0000A"),
                name="甲方泉华电子有限公司",
                region=lixia,
                industry="C3989",
            ),
            "b": Enterprise.objects.create(
                uscc=make_uscc("91370103MA3C0000B"),
                name="乙方趵突贸易有限公司",
                region=shizhong,
                industry="F5191",
            ),
        }
        self.contact = {
            side: Contact.objects.create(
                enterprise=self.ent[side],
                name=name,
                phone=phone,
                is_primary=True,
            )
            for side, name, phone in (
                ("a", "甲联络人", "13811110001"),
                ("b", "乙联络人", "13922220002"),
            )
        }
        self.users = {
            "anon": None,
            "ent_a": _user("ent-a", User.Role.ENTERPRISE, enterprise=self.ent["a"]),
            "ent_b": _user("ent-b", User.Role.ENTERPRISE, enterprise=self.ent["b"]),
            "clerk_x": _user("clerk-x", User.Role.UNIT, unit=self.unit_x),
            "clerk_y": _user("clerk-y", User.Role.UNIT, unit=self.unit_y),
            "office_d": _user("office-d", User.Role.OFFICE, unit=self.office_d),
            "office": _user("office", User.Role.OFFICE, unit=self.city_office),
            "leader": _user("leader", User.Role.LEADER, unit=leader_unit),
            "auditor": _user("auditor", User.Role.AUDITOR),
            "admin": _user("root", User.Role.ADMIN, is_staff=True, is_superuser=True),
        }
        office = self.users["office"]

        # Cases: A's handed to district D's office, which gives it to unit X; B's given to Y.
        self.appeal = {}
        for side, title, phone in (
            ("a", "甲方机密诉求用电增容", "13811113333"),
            ("b", "乙方机密诉求消防验收", "13922224444"),
        ):
            appeal, _created = appeal_actions.file_appeal(
                acting_user=self.users[f"ent_{side}"],
                enterprise=self.ent[side],
                title=title,
                content=f"{title}的详细内容。",
                channel="web",
                contact_name=f"{side}联系人",
                contact_phone=phone,
                at=when,
            )
            appeal_actions.accept(appeal, acting_user=office, at=when)
            upload = SimpleUploadedFile(f"{side}-材料.pdf", PDF)
            appeal = appeal_actions.attach(
                appeal, acting_user=self.users[f"ent_{side}"], upload=upload
            )
            self.appeal[side] = appeal
        self.attachment = {side: self.appeal[side].attachments.get() for side in "ab"}
        appeal_actions.dispatch(
            self.appeal["a"],
            acting_user=office,
            at=when,
            mode="transfer",
            lead_unit=self.office_d.code,
        )
        appeal_actions.dispatch(
            self.appeal["a"],
            acting_user=self.users["office_d"],
            at=when,
            mode="transfer",
            lead_unit=self.unit_x.code,
        )
        appeal_actions.dispatch(
            self.appeal["b"], acting_user=office, at=when, mode="transfer", lead_unit="gxj"
        )
        for side in "ab":
            self.appeal[side].refresh_from_db()
        Publication.objects.create(appeal=self.appeal["a"], published_by=office, published_at=when)

        # Pairings, visits with a photo and a difficulty, a batch.
        self.pairing = {
            "a": visit_actions.pair(
                acting_user=office, enterprise=self.ent["a"], unit=self.unit_x, at=when
            ),
            "b": visit_actions.pair(
                acting_user=office, enterprise=self.ent["b"], unit=self.unit_y, at=when
            ),
        }
        self.visit = {}
        for side, clerk in (("a", "clerk_x"), ("b", "clerk_y")):
            self.visit[side] = visit_actions.record_visit(
                acting_user=self.users[clerk],
                enterprise=self.ent[side],
                answers={},
                difficulties=[{"text": f"{side}方走访困难"}],
                note=f"{side}方机密走访记录",
                photos=[SimpleUploadedFile(f"{side}.png", png(), content_type="image/png")],
                at=when,
            )
        self.visit_photo = {side: self.visit[side].photos.get() for side in "ab"}
        self.difficulty = {side: Difficulty.objects.get(visit=self.visit[side]) for side in "ab"}
        self.batch = visit_actions.create_batch(
            acting_user=office,
            name="冬季走访",
            starts_on=when.date(),
            ends_on=when.date(),
            enterprises=[self.ent["a"].pk],
            at=when,
        )

        # Key projects, one per district, each with a report holding a photo and a problem.
        self.project = {}
        for side, district, unit, clerk in (
            ("a", district_d, self.unit_x, "clerk_x"),
            ("b", district_e, self.unit_y, "clerk_y"),
        ):
            project = project_actions.register_project(
                acting_user=office,
                at=at("2026-01-05 10:00"),
                name=f"{side}方机密重点项目",
                enterprise=self.ent[side],
                planned_investment="1200",
                district=district,
                leader=self.users["leader"],
                unit=unit,
                start_month="2026-01",
                milestones=[{"name": "竣工投产", "month": "2026-12", "investment": "1200"}],
                public=False,
            )
            project_actions.report_progress(
                project,
                acting_user=self.users[clerk],
                at=at("2026-01-10 10:00"),
                month="2026-01",
                investment="100",
                text="主体结构施工至三层。",
                problems=[f"{side}方项目问题"],
                photos=[SimpleUploadedFile("现场.png", png(), content_type="image/png")],
            )
            self.project[side] = project
        self.project_photo = {side: self.project[side].reports.get().photos.get() for side in "ab"}
        self.problem = {side: self.project[side].problems.get() for side in "ab"}

        # Policies: a public one with a file, a hidden one (government only) with a file.
        source = PolicySource.objects.create(name="市政府文件", list_url="http://127.0.0.1:9/")
        self.source = source
        self.run = CrawlRun.objects.create()
        self.policy = {}
        self.policy_attachment = {}
        for key, public in (("public", True), ("hidden", False)):
            policy = Policy.objects.create(
                title=f"{'公开' if public else '内部机密'}政策关于支持制造业的若干措施",
                body="支持制造业。",
                public=public,
            )
            attachment = PolicyAttachment(
                policy=policy, url=f"http://127.0.0.1:9/{key}.pdf", name="附件.pdf", size=len(PDF)
            )
            attachment.sha256 = hashlib.sha256(PDF).hexdigest()
            attachment.file.save(f"{key}.pdf", ContentFile(PDF), save=False)
            attachment.save()
            self.policy[key] = policy
            self.policy_attachment[key] = attachment
        self.push = {
            side: Push.objects.create(policy=self.policy["public"], enterprise=self.ent[side])
            for side in "ab"
        }

        # An Open311 request waiting for the offices (they decide on every one).
        integration, _key = integration_actions.create_integration(
            name="open311-client", kind=Integration.Kind.OPEN311
        )
        self.service_request = ServiceRequest.objects.create(
            integration=integration,
            token="matrix-token-0001",
            state=ServiceRequest.State.PENDING,
            service_code="appeal",
            description="Open311机密请求描述",
            phone="13700000001",
            received_at=when,
        )

        # A bulletin built and not published (units read published ones only).
        self.bulletin = Bulletin(
            month=at("2026-10-01 00:00").date(), built_at=when, built_by=office
        )
        self.bulletin.pdf.save("2026-10.pdf", ContentFile(PDF), save=False)
        self.bulletin.xlsx.save("2026-10.xlsx", ContentFile(b"PK"), save=False)
        self.bulletin.save()

        # Each signed-in user's own job and message.
        self.job = {}
        self.message = {}
        for role, user in self.users.items():
            if user is None:
                continue
            job = Job.objects.create(kind="exports.appeals", created_by=user, status="done")
            job.result.save(f"{role}.xlsx", ContentFile(b"PK"), save=False)
            job.result_name = f"{role}.xlsx"
            job.save()
            self.job[role] = job
            self.message[role] = Message.objects.create(
                recipient=user, kind="test", subject=f"{role}的私人消息", in_inbox=True
            )

        # What must not appear outside its scope: (family, side) → texts.
        self.markers = {}
        for side in "ab":
            self.markers[("case", side)] = [self.appeal[side].title, self.appeal[side].number]
            self.markers[("enterprise", side)] = [self.ent[side].name]
            # Phones in full: the enterprise's own, masked for everyone else (issue 15).
            self.markers[("phone", side)] = [
                self.contact[side].phone,
                self.appeal[side].contact_phone,
            ]
            self.markers[("visit", side)] = [self.visit[side].note]
            # The project's name is its enterprise's to know too (a problem its report
            # raised is the enterprise's case, titled with it).
            self.markers[("project_name", side)] = [self.project[side].name]
        self.markers[("open311", "a")] = [
            self.service_request.description,
            self.service_request.phone,
        ]
        self.appeals_of = {
            side: set(self.ent[side].appeals.values_list("pk", flat=True)) for side in "ab"
        }

    def user(self, role):
        return self.users[role]


def _user(username, role, **scope):
    user = User(username=username, role=role, first_name=username, **scope)
    user.set_password("correct-horse-battery-staple")
    user.full_clean()
    user.save()
    return user


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the module and rolled back after it."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            from django.test import override_settings

            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
            ):
                built = World()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------
# How to reach each URL with an object in or out of a role's scope


def sided(family, make):
    """Arguments for the A or B object: in scope, a side the role sees; out, one it does not."""

    def build(world, role, in_scope):
        seen = sides(family, role)
        choice = sorted(seen if in_scope else {"a", "b"} - seen)
        return make(world, choice[0]) if choice else None

    return build


def own(attr, key="pk"):
    """The role's own job or message in scope; another user's out of scope."""

    def build(world, role, in_scope):
        objects = getattr(world, attr)
        if in_scope:
            mine = objects.get(role)
            return None if mine is None else {key: mine.pk}
        return {key: objects["ent_b" if role != "ent_b" else "ent_a"].pk}

    return build


def policy(make):
    """Officers' in-scope policy is the hidden one; anyone else's the public one, and the
    hidden one is out of their scope."""

    def build(world, role, in_scope):
        if in_scope:
            return make(world, "hidden" if role in OFFICERS else "public")
        return None if role in OFFICERS else make(world, "hidden")

    return build


BULLETIN_READERS = {"office_d", "office", "leader", "admin"}


def bulletin(kind=None):
    def build(world, role, in_scope):
        if (role in BULLETIN_READERS) != in_scope:
            return None
        kwargs = {"month": world.bulletin.month.strftime("%Y-%m")}
        return {**kwargs, "kind": kind} if kind else kwargs

    return build


def published(world, role, in_scope):
    """Open311 without a key: the case its enterprise made public, and one it did not."""
    return {"number": world.appeal["a" if in_scope else "b"].number, "fmt": "json"}


def fixed(**kwargs):
    """A URL with arguments but no object of anyone's: the same for every role."""
    return lambda world, role, in_scope: kwargs if in_scope else None


def on_case(**extra):
    return sided("case", lambda w, s: {"pk": w.appeal[s].pk, **extra})


def on_project(**extra):
    return sided("project", lambda w, s: {"pk": w.project[s].pk, **extra})


class Spec:
    """One URL's classification.

    ``readers``: the roles that may GET it (for an object, one in their scope): 200.
    ``build``: the URL's arguments for (world, role, in_scope), or None (no such object).
    ``writes``: POST with an out-of-scope object (or by a role outside ``writers``) is refused.
    ``writers``: the roles that may POST at all (None: as the actions decide; only
    out-of-scope objects are then tried).
    ``data``: a POST body naming the out-of-scope object, for URLs without one in the path.
    ``ok``: what an allowed GET answers (a redirect for some account pages).
    """

    def __init__(self, readers, build=None, *, writes=False, writers=None, data=None, ok=(200,)):
        self.readers, self.build, self.writes = set(readers), build, writes
        self.writers = None if writers is None else set(writers)
        self.data, self.ok = data, ok
        self.post_only = False


def post_only(build=None, writers=None, data=None):
    spec = Spec(set(), build, writes=True, writers=writers, data=data)
    spec.post_only = True
    return spec


# Account pages: no object of anyone's; signed-in or not, each answers its own way.
ACCOUNT = Spec(EVERYONE, ok=(200, 302, 403, 405))
VISITORS = {"clerk_x", "clerk_y", "office_d", "office"}  # pairers and offices
PROJECT_STAFF = OFFICERS
# Every routed action of the appeal loop (``appeals.actions.ROUTED``): each is a POST on
# one case, which must be refused outside the caller's scope.
APPEAL_ACTIONS = appeal_actions.ROUTED

URLS = {
    # --- core
    "schema": Spec(SIGNED_IN),
    "api-me": Spec(SIGNED_IN),
    "api-job": Spec(SIGNED_IN, own("job")),
    "api-job-download": Spec(SIGNED_IN, own("job")),
    "healthz": Spec(EVERYONE),
    "job-page": Spec(SIGNED_IN, own("job")),
    # --- orgs
    "api-units": Spec(SIGNED_IN, writes=True, writers={"admin"}),  # the org chart: open reads
    "api-users": post_only(writers={"admin"}),
    "home": ACCOUNT,
    "login": ACCOUNT,
    "login-code": ACCOUNT,
    "second-factor": ACCOUNT,
    "logout": Spec(set()),
    "password-change": ACCOUNT,
    # --- enterprises
    "api-enterprises": post_only(writers={"admin"}),
    "portal-profile": Spec(ENTERPRISES, writes=True, writers=ENTERPRISES),
    "portal-contact-add": post_only(writers=ENTERPRISES),
    "portal-contact-edit": post_only(
        sided("enterprise", lambda w, s: {"pk": w.contact[s].pk}), writers=ENTERPRISES
    ),
    "portal-contact-remove": post_only(
        sided("enterprise", lambda w, s: {"pk": w.contact[s].pk}), writers=ENTERPRISES
    ),
    # --- notify
    "api-inbox": Spec(SIGNED_IN),
    "inbox": Spec(SIGNED_IN),
    "inbox-read": post_only(own("message", "message_id")),
    "inbox-channels": Spec(SIGNED_IN),
    # --- appeals
    "api-appeals": Spec(  # an empty list for those who see no case
        SIGNED_IN,
        writes=True,
        writers={"ent_a", "ent_b", "office_d", "office", "admin"},
    ),
    "api-appeals-ledger": Spec(OFFICERS),
    "api-appeal": Spec(SIGNED_IN, on_case()),
    "api-appeal-attachments": Spec(SIGNED_IN, on_case(), writes=True),
    "api-appeal-attachment": Spec(
        SIGNED_IN,
        sided("case", lambda w, s: {"pk": w.appeal[s].pk, "attachment_id": w.attachment[s].pk}),
    ),
    **{f"api-appeal-{name}": post_only(on_case()) for name in APPEAL_ACTIONS},
    "api-appeal-unknown-action": post_only(on_case(operation="nonsense")),
    "api-categories": Spec(SIGNED_IN),
    "api-figures": Spec(OFFICERS),
    "appeal-detail": Spec(SIGNED_IN, on_case()),
    "appeal-act": post_only(on_case(name="urge")),
    "appeal-upload": post_only(on_case()),
    # Revealing the contact phone (with a reason): the case's office and lead unit.
    "appeal-contact-reveal": Spec(
        {"office_d", "office", "clerk_x", "clerk_y"}, on_case(), writes=True
    ),
    "portal-home": Spec(ENTERPRISES),
    "portal-file": Spec(ENTERPRISES, writes=True, writers=ENTERPRISES),
    "office-workbench": Spec(STAFF_OFFICES),
    "office-bulk-act": post_only(
        writers=STAFF_OFFICES | {"admin"},
        data=lambda w, s: {"action": "accept", "appeals": [w.appeal[s].pk]},
    ),
    "office-triage": Spec(STAFF_OFFICES, on_case(), writes=True),
    "office-dispatch-preview": Spec(STAFF_OFFICES, on_case()),
    "unit-workbench": Spec({"clerk_x", "clerk_y"}),
    # --- policies
    "api-policies": Spec(EVERYONE),
    "api-policy": Spec(EVERYONE, policy(lambda w, k: {"pk": w.policy[k].pk})),
    "api-portal-policies": Spec(ENTERPRISES),
    "policy-sources": Spec({"office_d", "office", "admin"}, writes=True),
    "policy-source-act": post_only(
        lambda w, r, i: {"pk": w.source.pk, "name": "pause"} if i else None,
        writers={"office_d", "office", "admin"},
    ),
    "policy-runs": Spec({"office_d", "office", "admin"}),
    "policy-run": Spec(
        {"office_d", "office", "admin"}, lambda w, r, i: {"pk": w.run.pk} if i else None
    ),
    "policy-correct": Spec(
        {"office_d", "office", "admin"},
        policy(lambda w, k: {"pk": w.policy[k].pk}),
        writes=True,
        writers={"office_d", "office", "admin"},
    ),
    "policy-library": Spec(EVERYONE),
    "policy-detail": Spec(EVERYONE, policy(lambda w, k: {"pk": w.policy[k].pk})),
    "policy-attachment": Spec(
        EVERYONE,
        policy(lambda w, k: {"pk": w.policy[k].pk, "attachment_id": w.policy_attachment[k].pk}),
    ),
    "portal-policies": Spec(ENTERPRISES),
    "portal-policy-calculator": Spec(ENTERPRISES),
    "portal-policy-open": Spec(  # marks the push read and goes to the policy
        ENTERPRISES, sided("case", lambda w, s: {"push_id": w.push[s].pk}), ok=(302,)
    ),
    # --- projects
    "api-projects": Spec(SIGNED_IN, writes=True, writers=STAFF_OFFICES | {"admin"}),
    "api-projects-registry": Spec(PROJECT_STAFF),
    "api-projects-rankings": Spec(PROJECT_STAFF),
    "api-project": Spec(PROJECT_STAFF, on_project(), writes=True),
    "api-project-progress": post_only(on_project()),
    "api-project-finish": post_only(on_project()),
    "api-project-file-problem": post_only(
        sided("project", lambda w, s: {"pk": w.project[s].pk, "problem_id": w.problem[s].pk})
    ),
    "api-project-photo": Spec(
        PROJECT_STAFF,
        sided("project", lambda w, s: {"pk": w.project[s].pk, "photo_id": w.project_photo[s].pk}),
    ),
    "projects-registry": Spec(PROJECT_STAFF),
    "project-new": Spec(STAFF_OFFICES, writes=True, writers=STAFF_OFFICES | {"admin"}),
    "projects-board": Spec(EVERYONE),
    "projects-rankings": Spec(PROJECT_STAFF),
    "project-detail": Spec(PROJECT_STAFF, on_project()),
    "project-edit": Spec(STAFF_OFFICES, on_project(), writes=True),
    "project-report": Spec({"clerk_x", "clerk_y"}, on_project(), writes=True),
    "project-finish": post_only(on_project()),
    "project-file-problem": post_only(
        sided("project", lambda w, s: {"pk": w.project[s].pk, "problem_id": w.problem[s].pk})
    ),
    "project-photo": Spec(
        PROJECT_STAFF,
        sided("project", lambda w, s: {"pk": w.project[s].pk, "photo_id": w.project_photo[s].pk}),
    ),
    # --- visits
    "visit-list": Spec(OFFICERS),
    "visit-ledger": Spec(OFFICERS),
    "visit-mine": Spec({"clerk_x", "clerk_y", "leader"}),
    "visit-new": Spec(
        VISITORS, sided("enterprise", lambda w, s: {"enterprise_id": w.ent[s].pk}), writes=True
    ),
    "visit-plan": post_only(sided("enterprise", lambda w, s: {"enterprise_id": w.ent[s].pk})),
    "visit-detail": Spec(SIGNED_IN, sided("visit", lambda w, s: {"pk": w.visit[s].pk})),
    "visit-cancel": post_only(sided("visit", lambda w, s: {"pk": w.visit[s].pk})),
    "visit-photo": Spec(
        SIGNED_IN,
        sided("visit", lambda w, s: {"pk": w.visit[s].pk, "photo_id": w.visit_photo[s].pk}),
    ),
    "visit-file-difficulty": post_only(sided("visit", lambda w, s: {"pk": w.difficulty[s].pk})),
    "visit-pairings": Spec(OFFICERS, writes=True, writers=STAFF_OFFICES),
    "visit-pairing-ledger": Spec(OFFICERS),
    "visit-pairing-end": post_only(sided("pairing", lambda w, s: {"pk": w.pairing[s].pk})),
    "visit-checkin": post_only(sided("pairing", lambda w, s: {"pk": w.pairing[s].pk})),
    "visit-batches": Spec(OFFICERS, writes=True, writers=STAFF_OFFICES),
    "visit-batch": Spec(OFFICERS, lambda w, r, i: {"pk": w.batch.pk} if i else None),
    # --- assessment
    "api-assessment": Spec(OFFICERS),
    "assessment": Spec(OFFICERS),
    "assessment-unit": Spec(
        OFFICERS,
        sided("case", lambda w, s: {"code": (w.unit_x if s == "a" else w.unit_y).code}),
    ),
    "assessment-cases": Spec(  # the cases behind a unit's lost points: the unit in the query
        OFFICERS,
        sided(
            "case",
            lambda w, s: {
                "?": {
                    "unit": (w.unit_x if s == "a" else w.unit_y).code,
                    "item": "returned",
                    "period": "2026-11",
                }
            },
        ),
    ),
    "assessment-export": Spec(OFFICERS),
    "assessment-weights": Spec(OFFICERS, writes=True, writers={"office", "admin"}),
    "assessment-bulletins": Spec(OFFICERS, writes=True, writers={"office", "admin"}),
    "assessment-bulletin-publish": post_only(bulletin(), writers={"office", "admin"}),
    "assessment-bulletin-file": Spec(BULLETIN_READERS, bulletin("pdf")),
    # --- integrations
    "api-hotline-workorders": post_only(writers=set()),
    "office-open311": Spec({"office_d", "office", "admin"}),
    "office-open311-request": Spec(
        {"office_d", "office", "admin"},
        sided("open311", lambda w, s: {"pk": w.service_request.pk} if s == "a" else None),
    ),
    "office-open311-act": post_only(
        sided(
            "open311",
            lambda w, s: {"pk": w.service_request.pk, "name": "decline"} if s == "a" else None,
        ),
        writers={"office_d", "office", "admin"},
    ),
    "office-open311-phone": Spec(  # the reporter's phone revealed with a reason
        {"office_d", "office", "admin"},
        sided("open311", lambda w, s: {"pk": w.service_request.pk} if s == "a" else None),
        writes=True,
    ),
    "portal-open311-publish": post_only(on_case()),
    "api-open311-publications": post_only(
        data=lambda w, s: {"appeal": w.appeal[s].pk, "public": True},
        writers=ENTERPRISES,
    ),
    "open311-discovery": Spec(EVERYONE, fixed(fmt="json")),
    "open311-services": Spec(EVERYONE, fixed(fmt="json")),
    "open311-service": Spec(set(), fixed(code="nonesuch", fmt="json")),
    "open311-requests": Spec(EVERYONE, fixed(fmt="json")),
    "open311-request": Spec(EVERYONE, published),
    "open311-token": Spec(set(), fixed(value="nonesuch", fmt="json")),
    "open311-not-found": Spec(set(), fixed(fmt="json")),
    # --- dispatch
    "dispatch-suggestions": Spec(STAFF_OFFICES, on_case()),
    "dispatch-accept": post_only(on_case()),
    "dispatch-link": post_only(on_case()),
    "dispatch-accept-category": post_only(on_case()),
    "dispatch-intake-similar": post_only(  # shows the filer's similar cases: none of others'
        data=lambda w, s: {"title": w.appeal[s].title, "content": w.appeal[s].content}
    ),
    "api-appeal-suggestions": Spec(OFFICERS, on_case()),
    "api-appeal-similar": Spec(OFFICERS, on_case()),
    "dispatch-hot-topics": Spec(STAFF_OFFICES | {"leader", "admin"}),
    # --- dashboard
    "cockpit": Spec(SEES_ALL),
    "cockpit-cases": Spec(SEES_ALL, fixed(**{"?": {"kind": "received"}})),
    "dossier": Spec(SIGNED_IN, sided("enterprise", lambda w, s: {"pk": w.ent[s].pk})),
    "dossier-contact-reveal": Spec(  # the enterprise's pairers and offices
        VISITORS,
        sided("enterprise", lambda w, s: {"pk": w.ent[s].pk, "contact_id": w.contact[s].pk}),
        writes=True,
    ),
    # --- audit
    "audit-records": Spec({"auditor"}),
    "audit-export": Spec({"auditor"}, writes=True, writers={"auditor"}),
}


# ---------------------------------------------------------------------------------------
# The URLs, from the resolver


@functools.cache
def all_urls():
    """(name, pattern, its arguments' names) of every named URL the project serves."""

    def walk(resolver, prefix="", namespace=None):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield name, prefix + str(entry.pattern), set(entry.pattern.regex.groupindex)

    return tuple(walk(get_resolver()))


# The admin's object pages (some 180) are all behind ``AdminSite.admin_view``, which asks
# ``is_staff`` before any model code: they are probed as the anonymous visitor, the city
# office (the widest non-admin scope) and the auditor; their lists and forms by everyone.
ADMIN_OBJECT_PROBES = {"anon", "office", "auditor"}


def admin_spec(name, arguments):
    """Every page of the Django admin is the administrators' alone."""
    placeholders = {"object_id": "1", "app_label": "orgs"}
    if name in ("admin:login", "admin:logout"):
        return ACCOUNT
    kwargs = {arg: placeholders.get(arg, "1") for arg in arguments}
    if not arguments:
        # Some are read-only (the audit trail, logs): their "add" pages refuse even the
        # administrator, or send to the one row.
        return Spec({"admin"}, ok=(200, 302, 403))
    # An object's page: out of every other role's scope (the id need not exist: the
    # refusal comes first); the administrator's own pages are not opened here.
    return Spec(set(), lambda w, r, i: None if i or r == "admin" else kwargs)


@functools.cache
def arguments_of():
    return {name: arguments for name, _pattern, arguments in all_urls()}


def specs():
    table = {}
    for name, _pattern, arguments in all_urls():
        if name.startswith("admin:"):
            table[name] = admin_spec(name, arguments)
        elif name in URLS:
            table[name] = URLS[name]
    return table


def test_every_url_is_classified():
    served = {name for name, _pattern, _args in all_urls() if not name.startswith("admin:")}
    assert sorted(served - set(URLS)) == [], "classify these URLs in URLS"
    assert sorted(set(URLS) - served) == [], "these URLs are no longer served"
    for name, _pattern, arguments in all_urls():
        spec = URLS.get(name)
        if spec is not None and arguments:
            assert spec.build is not None, f"{name} takes {arguments}: say how to build them"


# ---------------------------------------------------------------------------------------
# The probe

REFUSED = {401, 403, 404, 405}
LOGIN_PAGES = ("/login/", "/admin/login/")


def refused(response):
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        return response["Location"].startswith(LOGIN_PAGES)
    return False


def body_text(response):
    """What a person would read in the answer: the page or JSON, the cells of a workbook."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                return " ".join(
                    book.read(name).decode("utf-8", "replace")
                    for name in book.namelist()
                    if name.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


def leaked_markers(world, role, text, name):
    """The markers of out-of-scope objects found in ``text``."""
    if role == "auditor" and name.startswith("audit-"):
        return []  # the trail names everything; reading it is the auditor's duty
    if role == "admin" and name.startswith("admin:"):
        return []  # the administrator's admin shows every row (messages included)
    found = []
    for (family, side), markers in world.markers.items():
        if side in sides(family, role):
            continue
        if name.startswith("open311-") and (family, side) == ("case", "a"):
            continue  # its enterprise published it (``Publication``)
        if family == "phone" and name == "api-appeal" and side in API_PHONES.get(role, ()):
            continue
        found += [f"{family}:{side}:{marker}" for marker in markers if marker and marker in text]
    if role not in OFFICERS and world.policy["hidden"].title in text:
        found.append("policy:hidden")
    for other, message in world.message.items():
        if other != role and message.subject in text:
            found.append(f"message:{other}")
    return found


# Tables a refused request may write: its audit record, a session, rate counters, axes.
NOT_STATE = ("audit_", "django_session", "core_ratecounter", "axes_")


@contextlib.contextmanager
def writes():
    """The tables written (outside ``NOT_STATE``) inside the block, as a set filled on exit.

    PostgreSQL counts the rows the transaction wrote per table (``pg_stat_xact_user_tables``);
    SQLite names each table a statement writes to its authorizer (setting one makes every
    cached statement prepare again, so each is seen).
    """
    written = set()
    if connection.vendor == "postgresql":
        before = _pg_writes()
        yield written
        after = _pg_writes()
        written.update(table for table, n in after.items() if n != before.get(table, 0))
        return
    sqlite = connection.connection
    kinds = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}

    def authorizer(action, table, *_rest):
        if action in kinds and table and not table.startswith(NOT_STATE):
            written.add(table)
        return sqlite3.SQLITE_OK

    sqlite.set_authorizer(authorizer)
    try:
        yield written
    finally:
        sqlite.set_authorizer(None)


def _pg_writes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_stat_get_xact_tuples_inserted(oid)"
            " + pg_stat_get_xact_tuples_updated(oid) + pg_stat_get_xact_tuples_deleted(oid)"
            " FROM pg_class WHERE oid = ANY(%s)",
            [_pg_tables()],
        )
        return dict(cursor.fetchall())


@functools.cache
def _pg_tables():
    """The oids of the tables whose rows are state (``NOT_STATE`` aside)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
        )
        return [oid for oid, table in cursor.fetchall() if not table.startswith(NOT_STATE)]


def client_for(world, role):
    client = Client()
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    return client


def address(name, kwargs):
    """The URL of ``name`` with ``kwargs``; the key ``?`` holds its query, if any."""
    kwargs = dict(kwargs)
    query = kwargs.pop("?", None)
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def probe_role(world, role):
    """Every URL as ``role``: the list of what went wrong (empty: no leak)."""
    client = client_for(world, role)
    problems = []
    for name, spec in specs().items():
        has_args = bool(arguments_of()[name]) or spec.build is not None
        if has_args:
            cases = [(True, spec.build(world, role, True)), (False, spec.build(world, role, False))]
        else:
            cases = [(True, {})]
        if spec.post_only:
            cases = []  # GET answers 405 for everyone: only the writes are probed
        if name.startswith("admin:") and has_args and role not in ADMIN_OBJECT_PROBES:
            cases = []
        if role == "admin" and name.startswith("admin:") and name != "admin:index":
            cases = []  # the administrator's own pages hold no scope: its index stands for them
        for in_scope, kwargs in cases:
            if kwargs is None:
                continue
            url = address(name, kwargs)
            response = client.get(url)
            allowed = in_scope and role in spec.readers
            if allowed and response.status_code not in spec.ok:
                problems.append(f"{name} {url}: {response.status_code}, expected {spec.ok}")
            elif not allowed and not refused(response):
                problems.append(f"{name} {url}: {response.status_code}, expected a refusal")
            if response.status_code == 200:
                for marker in leaked_markers(world, role, body_text(response), name):
                    problems.append(f"{name} {url}: shows {marker}")
                problems += list_outside_scope(world, role, name, response)
        problems += probe_writes(world, role, client, name, spec, has_args)
    return problems


def probe_writes(world, role, client, name, spec, has_args):
    if not spec.writes:
        return []
    attempts = []
    if has_args:
        outside = spec.build(world, role, False)
        if outside is not None:
            attempts.append((outside, {}))
        inside = spec.build(world, role, True)
        if spec.writers is not None and role not in spec.writers and inside is not None:
            attempts.append((inside, {}))
    elif spec.data is not None:
        seen = sides("case", role)
        for side in sorted({"a", "b"} - seen):
            attempts.append(({}, spec.data(world, side)))
        if spec.writers is not None and role not in spec.writers:
            attempts += [({}, spec.data(world, side)) for side in sorted(seen)]
    elif spec.writers is not None and role not in spec.writers:
        attempts.append(({}, {}))
    problems = []
    for kwargs, data in attempts:
        url = address(name, kwargs)
        with writes() as written:
            if name.startswith("api-"):
                response = client.post(url, data, content_type="application/json")
            else:
                response = client.post(url, data)
        # A page may answer a refused form with itself (200, 400) or a redirect with a
        # message; what counts is that nothing was written and nothing shown.
        if response.status_code >= 500:
            problems.append(f"POST {name} {url} {data}: {response.status_code}")
        if response.status_code in (200, 400):
            problems += [
                f"POST {name} {url}: shows {marker}"
                for marker in leaked_markers(world, role, body_text(response), name)
            ]
        if written:
            problems.append(f"POST {name} {url} {data}: wrote {sorted(written)}")
    return problems


def list_outside_scope(world, role, name, response):
    """An API list names only in-scope objects, and counts no others."""
    if not name.startswith("api-") or "json" not in response.get("Content-Type", ""):
        return []
    lists = {
        "api-appeals": ("case", world.appeals_of),
        "api-projects": ("project", {side: {world.project[side].pk} for side in "ab"}),
    }
    if name not in lists:
        return []
    family, ids = lists[name]
    body = response.json()
    results = body.get("results", body) if isinstance(body, dict) else body
    listed = {row["id"] for row in results}
    allowed = set().union(*(ids[side] for side in sides(family, role)))
    problems = [f"{name}: lists {sorted(listed - allowed)}"] if listed - allowed else []
    count = body.get("count") if isinstance(body, dict) else None
    if count is not None and count > len(allowed):
        problems.append(f"{name}: counts {count}, more than the {len(allowed)} in scope")
    return problems


@pytest.mark.django_db
def test_the_write_detector_sees_a_write_and_not_an_audit_row(world):
    """The probe's ``writes`` on this database: a changed row is seen, an audit row is not."""
    with writes() as written:
        record(Action.READ_PERSONAL, target="matrix:probe", user=world.user("office"))
    assert written == set()
    with writes() as written:
        Message.objects.filter(pk=world.message["ent_a"].pk).update(subject="改过")
    assert written == {Message._meta.db_table}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_role_sees_or_touches_what_is_outside_its_scope(world, role):
    problems = probe_role(world, role)
    assert not problems, "\n".join(problems)
