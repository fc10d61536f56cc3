"""Which enterprises a policy fits and why: the push of new policies and the policy calculator.

Semantics
---------
A policy **fits** an enterprise when every one of its non-empty conditions holds:

- area (区划): the enterprise's region lies within the policy's ``region``, that is its code
  starts with the region's code cut by level — a province's first 2 digits, a prefecture's 4,
  a county's 6, a town's 9 — and, when ``regions`` lists divisions, within one of them (cut
  the same way). No region and no regions: anywhere. An enterprise with no region fits only
  policies without an area;
- industry (行业): its GB/T 4754 code starts with one of ``industries`` (``C``, ``C39``…);
- size (规模): its size is one of ``sizes``;
- tier (服务等级): its tier is one of ``tiers``;
- qualification (资质): it holds at least one of ``qualifications``;

and the policy is **open**: public, in force today (``valid_until`` not past; a
``valid_from`` still to come holds nothing back — a policy announced ahead is pushed ahead),
classified (``category`` set: the conditions come with the classification, so until then
nobody is known to fit), and not an interpretation (解读) of another policy, which goes with
the policy it explains instead of being pushed on its own.

**Reasons** name each condition matched, in words (``"区划：济南市"``, ``"行业：制造业（C）"``,
``"规模：小型"``, ``"服务等级：重点企业"``, ``"资质：高新技术企业"``): the division the
enterprise was found in (the narrowest one named), the industry code it matched with its
section's name, its own size and tier, the required qualifications it holds.

A **near miss** (the calculator's): the policy is open and the enterprise lies in its area,
and exactly one of the other conditions fails; ``lacking`` says what would make it fit
(``"需具备资质：专精特新中小企业"``). The area is never a near miss: an enterprise does not
move to fit a policy, and every other city's policies would crowd the list.

**Ranking** (the calculator's): more conditions matched first (a policy for "small
manufacturers in Jinan holding 高新" is more surely meant for the enterprise than one for
everybody), then the newer (published, else first seen), then category in its declared order.

Each condition is one class below holding its rule twice, side by side: as SQL for the push
(``where``, ``reason_sql``: the enterprises a policy fits, in one statement) and in Python
for the calculator (``holds``, ``reason``, ``lack``: the policies one enterprise fits).
``tests/policies/test_matching.py`` checks the two agree on every condition.

Pushing
-------
``push(policy, now)`` runs inside the caller's transaction (``actions.push_new_policies``
claims the policy in it): one ``INSERT … SELECT`` writes a push for every fitting
enterprise with its reasons computed by the database (``ON CONFLICT DO NOTHING`` keeps the
pair unique, so a policy matched again never pushes twice), then one query reads the new
pushes' enterprise users and ``notify.outbox.enqueue_many`` writes their inbox messages
(no e-mail: the e-mail is the daily digest, ``actions.send_digests``). No enterprise row
comes through Python.
"""

import json
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.enterprises.industries import section_name
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.orgs.models import Region, User
from qitong.policies.models import Category, Policy, Push

# How many digits of a division's code its area keeps, by level.
AREA_DIGITS = {
    Region.Level.PROVINCE: 2,
    Region.Level.PREFECTURE: 4,
    Region.Level.COUNTY: 6,
    Region.Level.TOWN: 9,
}
MESSAGE_KIND = "policy_push"
# A character no name holds and JSON leaves as it is: where words are cut apart.
MARK = "\ue000"
CATEGORY_ORDER = {value: index for index, value in enumerate(Category.values)}


def area_prefix(code):
    """The start every code within division ``code`` shares (370100 济南市 → 3701)."""
    return code[: AREA_DIGITS[Region.Level.of(code)]]


def codes_containing(code):
    """The division codes whose area holds ``code``: its province, prefecture, county, itself."""
    if not code:
        return set()
    return {code[:2] + "0000", code[:4] + "00", code[:6], code}


# Public, classified, not an interpretation: a policy that may be pushed at all.
PUSHABLE = Q(public=True, interprets__isnull=True) & ~Q(category="")


def open_policies(today):
    """The policies open to push and to the calculator on ``today`` (see the module's words)."""
    return Policy.objects.filter(PUSHABLE, Q(valid_until__isnull=True) | Q(valid_until__gte=today))


def waiting_policies():
    """The policies the push has still to match: pushable and not matched yet.

    Expired ones are among them: claimed, they push nothing and wait no more.
    """
    return Policy.objects.filter(PUSHABLE, matched_at__isnull=True)


# --- what a policy asks and what an enterprise is ------------------------------------------


@dataclass(frozen=True)
class Area:
    prefix: str
    name: str


@dataclass(frozen=True)
class Terms:
    """A policy's conditions, normalised: what both the SQL and the calculator read."""

    policy_id: int
    within: Area | None = None  # the policy's own region
    among: tuple = ()  # Areas of ``regions``, narrowest first
    industries: tuple = ()  # code prefixes, upper case, longest first
    sizes: tuple = ()
    tiers: tuple = ()
    qualifications: tuple = ()  # (id, name), by name

    @classmethod
    def build(cls, policy_id, *, region, regions, industries, sizes, tiers, qualifications):
        """From raw values: ``region`` and ``regions`` as (code, name) pairs."""
        among = {area_prefix(code): Area(area_prefix(code), name) for code, name in regions}
        prefixes = {str(value).strip().upper() for value in industries or ()} - {""}
        return cls(
            policy_id=policy_id,
            within=Area(area_prefix(region[0]), region[1]) if region else None,
            among=tuple(sorted(among.values(), key=lambda area: (-len(area.prefix), area.prefix))),
            industries=tuple(sorted(prefixes, key=lambda prefix: (-len(prefix), prefix))),
            sizes=tuple(sorted(set(sizes or ()))),
            tiers=tuple(sorted(set(tiers or ()))),
            qualifications=tuple(sorted(set(qualifications), key=lambda item: (item[1], item[0]))),
        )


# What the calculator, its pages and the push read of a policy (not its text).
SHOWN_FIELDS = [
    "title",
    "issuer",
    "number",
    "level",
    "category",
    "published",
    "valid_from",
    "valid_until",
    "first_seen_at",
    "industries",
    "sizes",
    "tiers",
    "region__code",
    "region__name",
]


def load_terms(policies):
    """``[(policy, Terms)]`` for the queryset ``policies``, in its order: three queries."""
    listed = list(policies.select_related("region").only(*SHOWN_FIELDS))
    regions, qualifications = defaultdict(list), defaultdict(list)
    regions_through = Policy.regions.through.objects.filter(policy__in=policies.values("pk"))
    for policy_id, code, name in regions_through.values_list(
        "policy_id", "region__code", "region__name"
    ):
        regions[policy_id].append((code, name))
    held_through = Policy.qualifications.through.objects.filter(policy__in=policies.values("pk"))
    for policy_id, pk, name in held_through.values_list(
        "policy_id", "qualification_id", "qualification__name"
    ):
        qualifications[policy_id].append((pk, name))
    return [
        (
            policy,
            Terms.build(
                policy.pk,
                region=(policy.region.code, policy.region.name) if policy.region_id else None,
                regions=regions[policy.pk],
                industries=policy.industries,
                sizes=policy.sizes,
                tiers=policy.tiers,
                qualifications=qualifications[policy.pk],
            ),
        )
        for policy in listed
    ]


@dataclass(frozen=True)
class Profile:
    """What the conditions read of an enterprise."""

    region_code: str
    industry: str
    size: str
    tier: str
    qualifications: frozenset = field(default_factory=frozenset)

    @classmethod
    def of(cls, enterprise):
        region = (
            Region.objects.filter(pk=enterprise.region_id).values_list("code", flat=True).first()
        )
        return cls(
            region_code=region or "",
            industry=enterprise.industry,
            size=enterprise.size,
            tier=enterprise.tier,
            qualifications=frozenset(enterprise.qualifications.values_list("pk", flat=True)),
        )


# --- the SQL the conditions are written in ---------------------------------------------------


class Sql:
    """Quoted names of the tables and columns the push reads, and SQL's small words."""

    def __init__(self):
        quote = connection.ops.quote_name
        meta = Enterprise._meta

        def column(name):
            return "e." + quote(meta.get_field(name).column)

        self.enterprise = quote(meta.db_table)
        self.id = "e." + quote(meta.pk.column)
        self.region_id = column("region")
        self.industry = column("industry")
        self.size = column("size")
        self.tier = column("tier")
        self.region = quote(Region._meta.db_table)
        self.region_pk = quote(Region._meta.pk.column)
        self.region_code = quote(Region._meta.get_field("code").column)
        held = Enterprise.qualifications.through._meta
        self.held = quote(held.db_table)
        self.held_enterprise = quote(held.get_field("enterprise").column)
        self.held_qualification = quote(held.get_field("qualification").column)

    @staticmethod
    def text():
        """A text parameter (PostgreSQL needs its type to concatenate it)."""
        return "CAST(%s AS TEXT)"

    @staticmethod
    def starts(column, prefix):
        """``column`` starts with ``prefix``: LIKE, right under any collation."""
        return f"{column} LIKE %s ESCAPE '\\'", [connection.ops.prep_for_like_query(prefix) + "%"]

    @classmethod
    def code_starts(cls, column, prefix):
        """``starts`` for a code of capitals and digits, with the range an index can read.

        A code starts with ``prefix`` exactly when it lies in [prefix, the prefix after it):
        C39 → [C39, C4), C → [C, D). Capitals and digits sort so under every collation
        (only punctuation, which the codes have none of, is what collations disagree on).
        """
        like, params = cls.starts(column, prefix)
        after = _after(prefix)
        if after is None:
            return like, params
        return f"({column} >= %s AND {column} < %s AND {like})", [prefix, after, *params]

    @staticmethod
    def among(column, values):
        return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)

    def case(self, branches, default=None):
        """``CASE WHEN cond THEN text … END`` from ``[(sql, params, word)]``."""
        sql, params = ["CASE"], []
        for condition, condition_params, word in branches:
            sql.append(f"WHEN {condition} THEN {self.text()}")
            params += [*condition_params, word]
        if default is not None:
            sql.append(f"ELSE {self.text()}")
            params.append(default)
        sql.append("END")
        return " ".join(sql), params


def _after(prefix):
    """The first code of capitals and digits past every code starting with ``prefix``; None if
    ``prefix`` is not such a code (C39 → C4, C3 → C4, C → D, T → U)."""
    if not prefix or not all(
        char.isascii() and (char.isdigit() or char.isupper()) for char in prefix
    ):
        return None
    head = prefix.rstrip("9")
    if not head:
        return None
    if head[-1] == "Z":
        return None
    return head[:-1] + chr(ord(head[-1]) + 1)


def _json_word(word):
    """A JSON string literal of ``word``: the element the reasons' array holds."""
    return json.dumps(word, ensure_ascii=False)


def _constant(word):
    return Sql.text(), [_json_word(word)]


# --- the conditions ------------------------------------------------------------------------


class Condition:
    """One condition: when it applies, whether it holds, its words, and its SQL."""

    near = True  # may its lack be a near miss

    def applies(self, terms):
        raise NotImplementedError

    def holds(self, terms, profile):
        raise NotImplementedError

    def reason(self, terms, profile):
        """What matched, in words (``holds`` is true)."""
        raise NotImplementedError

    def lack(self, terms):
        """What the enterprise would need, in words (``holds`` is false)."""
        raise NotImplementedError

    def where(self, terms, sql):
        """``(sql, params)``: the enterprises ``e`` for which it holds."""
        raise NotImplementedError

    def constant_reason(self, terms):
        """The reason every enterprise that holds it gets, when it is one and the same."""
        return None

    def reason_sql(self, terms, sql):
        """``(sql, params)``: the JSON string of ``reason`` for a row ``e`` that holds it
        (when ``constant_reason`` is None)."""
        raise NotImplementedError


class AreaCondition(Condition):
    near = False  # an enterprise does not move to fit a policy

    def applies(self, terms):
        return terms.within is not None or bool(terms.among)

    def _matched(self, terms, code):
        """The narrowest named area ``code`` lies in, or None when it is outside."""
        if not code or (terms.within and not code.startswith(terms.within.prefix)):
            return None
        if not terms.among:
            return terms.within
        return next((area for area in terms.among if code.startswith(area.prefix)), None)

    def holds(self, terms, profile):
        return self._matched(terms, profile.region_code) is not None

    @staticmethod
    def word(area):
        return _("区划：%(name)s") % {"name": area.name}

    def reason(self, terms, profile):
        return self.word(self._matched(terms, profile.region_code))

    def lack(self, terms):
        names = [area.name for area in terms.among] or [terms.within.name]
        return _("需位于：%(names)s") % {"names": _("或").join(names)}

    def where(self, terms, sql):
        conditions, params = [], []
        if terms.within:
            condition, condition_params = Sql.starts(sql.region_code, terms.within.prefix)
            conditions.append(condition)
            params += condition_params
        if terms.among:
            parts = [Sql.starts(sql.region_code, area.prefix) for area in terms.among]
            conditions.append("(" + " OR ".join(part for part, _p in parts) + ")")
            params += [value for _part, part_params in parts for value in part_params]
        # The divisions first (a few thousand rows), then the enterprises by their region index
        # — unless the area is a whole province: then nearly every enterprise of the
        # installation lies in it, and SQLite, which knows nothing of how rows are spread
        # (PostgreSQL does), is kept to the other conditions' indexes by a "+".
        wide = all(len(area.prefix) <= 2 for area in [terms.within, *terms.among] if area)
        column = f"+{sql.region_id}" if wide and connection.vendor == "sqlite" else sql.region_id
        return (
            f"{column} IN (SELECT {sql.region_pk} FROM {sql.region} "
            f"WHERE {' AND '.join(conditions)})",
            params,
        )

    def constant_reason(self, terms):
        if len(terms.among) < 2:
            return self.word(terms.among[0] if terms.among else terms.within)
        return None

    def reason_sql(self, terms, sql):
        # Which of several divisions: read the enterprise's region code.
        code = (
            f"(SELECT r.{sql.region_code} FROM {sql.region} r "
            f"WHERE r.{sql.region_pk} = {sql.region_id})"
        )
        return sql.case(
            [(*Sql.starts(code, area.prefix), _json_word(self.word(area))) for area in terms.among]
        )


class IndustryCondition(Condition):
    def applies(self, terms):
        return bool(terms.industries)

    @staticmethod
    def name(prefix):
        section = section_name(prefix)
        return (
            _("%(section)s（%(code)s）") % {"section": section, "code": prefix}
            if section
            else prefix
        )

    def _matched(self, terms, industry):
        return next((prefix for prefix in terms.industries if industry.startswith(prefix)), None)

    def holds(self, terms, profile):
        return self._matched(terms, profile.industry) is not None

    def word(self, prefix):
        return _("行业：%(industry)s") % {"industry": self.name(prefix)}

    def reason(self, terms, profile):
        return self.word(self._matched(terms, profile.industry))

    def lack(self, terms):
        names = [self.name(prefix) for prefix in sorted(terms.industries)]
        return _("需属于行业：%(industries)s") % {"industries": _("或").join(names)}

    def where(self, terms, sql):
        parts = [Sql.code_starts(sql.industry, prefix) for prefix in terms.industries]
        return (
            "(" + " OR ".join(part for part, _p in parts) + ")",
            [value for _part, params in parts for value in params],
        )

    def constant_reason(self, terms):
        return self.word(terms.industries[0]) if len(terms.industries) == 1 else None

    def reason_sql(self, terms, sql):
        return sql.case(
            [
                (*Sql.starts(sql.industry, prefix), _json_word(self.word(prefix)))
                for prefix in terms.industries  # the longest first: the most exact word
            ]
        )


class ChoiceCondition(Condition):
    """A condition on one of the enterprise's choice fields (size, tier)."""

    attribute = ""  # of Terms, of Profile, of Enterprise
    choices = None

    def label(self, value):
        try:
            return str(self.choices(value).label)
        except ValueError:
            return value

    def applies(self, terms):
        return bool(getattr(terms, self.attribute + "s"))

    def holds(self, terms, profile):
        return getattr(profile, self.attribute) in getattr(terms, self.attribute + "s")

    def reason(self, terms, profile):
        return self.word(getattr(profile, self.attribute))

    def lack(self, terms):
        values = getattr(terms, self.attribute + "s")
        order = list(self.choices.values)
        ordered = sorted(values, key=lambda v: (order.index(v) if v in order else len(order), v))
        return self.lack_words(_("或").join(self.label(value) for value in ordered))

    def where(self, terms, sql):
        return Sql.among(getattr(sql, self.attribute), getattr(terms, self.attribute + "s"))

    def constant_reason(self, terms):
        values = getattr(terms, self.attribute + "s")
        return self.word(values[0]) if len(values) == 1 else None

    def reason_sql(self, terms, sql):
        values = getattr(terms, self.attribute + "s")
        column = getattr(sql, self.attribute)
        return sql.case(
            [(f"{column} = %s", [value], _json_word(self.word(value))) for value in values]
        )


class SizeCondition(ChoiceCondition):
    attribute = "size"
    choices = Enterprise.Size

    def word(self, value):
        return _("规模：%(size)s") % {"size": self.label(value)}

    def lack_words(self, labels):
        return _("需为企业规模：%(sizes)s") % {"sizes": labels}


class TierCondition(ChoiceCondition):
    attribute = "tier"
    choices = Enterprise.Tier

    def word(self, value):
        return _("服务等级：%(tier)s") % {"tier": self.label(value)}

    def lack_words(self, labels):
        return _("需为服务等级：%(tiers)s") % {"tiers": labels}


class QualificationCondition(Condition):
    def applies(self, terms):
        return bool(terms.qualifications)

    def _held(self, terms, profile):
        return [name for pk, name in terms.qualifications if pk in profile.qualifications]

    def holds(self, terms, profile):
        return bool(self._held(terms, profile))

    @staticmethod
    def word(names):
        return _("资质：%(names)s") % {"names": "、".join(names)}

    def reason(self, terms, profile):
        return self.word(self._held(terms, profile))

    def lack(self, terms):
        names = [name for _pk, name in terms.qualifications]
        return _("需具备资质：%(names)s") % {"names": _("或").join(names)}

    def _holds_sql(self, sql, ids):
        return (
            f"{sql.id} IN (SELECT {sql.held_enterprise} FROM {sql.held} "
            f"WHERE {sql.held_qualification} IN ({', '.join(['%s'] * len(ids))}))",
            list(ids),
        )

    def where(self, terms, sql):
        return self._holds_sql(sql, [pk for pk, _name in terms.qualifications])

    def constant_reason(self, terms):
        if len(terms.qualifications) == 1:
            return self.word([terms.qualifications[0][1]])
        return None

    def reason_sql(self, terms, sql):
        # The names held, in the order of ``terms``: "、A" for each, the first "、" cut off.
        head, tail = _json_word(self.word([MARK])).split(MARK)
        parts, params = [], []
        for pk, name in terms.qualifications:
            condition, condition_params = self._holds_sql(sql, [pk])
            parts.append(f"CASE WHEN {condition} THEN {Sql.text()} ELSE '' END")
            params += [*condition_params, "、" + _json_word(name)[1:-1]]
        return (
            f"{Sql.text()} || SUBSTR({' || '.join(parts)}, 2) || {Sql.text()}",
            [head, *params, tail],
        )


AREA = AreaCondition()
CONDITIONS = [AREA, IndustryCondition(), SizeCondition(), TierCondition(), QualificationCondition()]


# --- the calculator ----------------------------------------------------------------------


@dataclass
class Fit:
    """A policy as the calculator shows it to one enterprise."""

    policy: Policy
    matched: list  # the reasons, in words
    lacking: str = ""  # a near miss's lack; empty for an eligible policy
    push_id: int | None = None  # the push of it to the enterprise, when there is one (pages)


def judge(terms, profile):
    """``(reasons, lacks)`` of ``terms`` for ``profile``: a fit has no lack."""
    reasons, lacks = [], []
    for condition in CONDITIONS:
        if not condition.applies(terms):
            continue
        if condition.holds(terms, profile):
            reasons.append(condition.reason(terms, profile))
        else:
            lacks.append((condition, condition.lack(terms)))
    return reasons, lacks


def _rank(fit):
    policy = fit.policy
    day = policy.published or clock.local(policy.first_seen_at).date()
    return (
        -len(fit.matched),
        -day.toordinal(),
        CATEGORY_ORDER.get(policy.category, len(CATEGORY_ORDER)),
        -policy.pk,
    )


@dataclass
class Calculation:
    eligible: list
    near_misses: list


def calculate(enterprise, today=None):
    """The open policies ``enterprise`` fits, and its near misses, each list ranked.

    Reads the policies whose area could hold the enterprise (no region, or one of the
    divisions containing its own: an indexed list), then judges each in Python.
    """
    today = today or clock.local(clock.now()).date()
    profile = Profile.of(enterprise)
    candidates = open_policies(today).filter(
        Q(region__isnull=True) | Q(region__code__in=codes_containing(profile.region_code))
    )
    eligible, near = [], []
    for policy, terms in load_terms(candidates.order_by("pk")):
        reasons, lacks = judge(terms, profile)
        if not lacks:
            eligible.append(Fit(policy, reasons))
        elif len(lacks) == 1 and lacks[0][0].near:
            near.append(Fit(policy, reasons, lacking=lacks[0][1]))
    return Calculation(sorted(eligible, key=_rank), sorted(near, key=_rank))


def mark_pushed(fits, pushes):
    """Give each fit the id of its push among ``pushes`` (the user's visible ones), or None."""
    pushed = dict(
        pushes.filter(policy_id__in=[fit.policy.pk for fit in fits]).values_list("policy_id", "pk")
    )
    for fit in fits:
        fit.push_id = pushed.get(fit.policy.pk)
    return fits


def eligible(enterprise, today=None):
    """The open policies ``enterprise`` fits, ranked, each with the conditions it matched."""
    return calculate(enterprise, today).eligible


def near_misses(enterprise, today=None):
    """The open policies ``enterprise`` misses by one condition, ranked, with what it lacks."""
    return calculate(enterprise, today).near_misses


# --- the push ----------------------------------------------------------------------------

# What an inbox message needs of its recipient (``outbox.enqueue_many``): no model instance.
Recipient = namedtuple("Recipient", "pk email")


def fitting_sql(terms, sql):
    """``(reasons, reasons_params, where, where_params)``: SQL over the enterprises ``e``.

    ``where`` holds for exactly the enterprises ``terms`` fit; ``reasons`` is the JSON
    array of the words of every condition they matched.
    """
    conditions, params, words = ["1 = 1"], [], []
    for condition in CONDITIONS:
        if condition.applies(terms):
            where, where_params = condition.where(terms, sql)
            conditions.append(where)
            params += where_params
            words.append((condition, condition.constant_reason(terms)))
    if all(word is not None for _condition, word in words):
        # The same words for every enterprise (most policies): one value, built here.
        reasons, reason_params = (
            Sql.text(),
            [json.dumps([w for _c, w in words], ensure_ascii=False)],
        )
    else:
        parts, reason_params = [], []
        for condition, word in words:
            part, part_params = (
                _constant(word) if word is not None else condition.reason_sql(terms, sql)
            )
            parts.append(part)
            reason_params += part_params
        reasons = "'[' || " + " || ',' || ".join(parts) + " || ']'"
    if connection.vendor == "postgresql":
        reasons = f"CAST({reasons} AS jsonb)"
    return reasons, reason_params, " AND ".join(conditions), params


def open_url(push_id):
    """Where a push's message leads: the enterprise's link that marks it read, then shows it."""
    return reverse("portal-policy-open", args=[push_id])


def _open_urls():
    """``open_url`` for thousands of pushes: the route reversed once."""
    head, tail = open_url(0).rsplit("/0/", 1)
    return lambda push_id: f"{head}/{push_id}/{tail}"


def push(policy_id, now):
    """Push the policy (claimed by the caller, in its transaction) to every enterprise it fits.

    Returns ``(pushes, messages)`` written. Nothing for a policy that is not open on
    ``now``'s date. Pushes already made (a policy matched again) stay as they are and
    are not announced again.
    """
    found = load_terms(open_policies(clock.local(now).date()).filter(pk=policy_id))
    if not found:
        return 0, 0
    [(policy, terms)] = found
    with translation.override(settings.LANGUAGE_CODE):  # the words are kept in the database
        quote = connection.ops.quote_name
        meta = Push._meta
        columns = ", ".join(
            quote(meta.get_field(name).column)
            for name in ("policy", "enterprise", "pushed_at", "reasons", "read_at", "digested_at")
        )
        sql = Sql()
        reasons, reason_params, where, where_params = fitting_sql(terms, sql)
        pushed_at = meta.get_field("pushed_at").get_db_prep_save(now, connection)
        insert = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"SELECT %s, {sql.id}, %s, {reasons}, NULL, NULL FROM {sql.enterprise} e "
            f"WHERE {where} ON CONFLICT DO NOTHING"
        )
        with connection.cursor() as cursor:
            cursor.execute(insert, [policy.pk, pushed_at, *reason_params, *where_params])
            pushed = cursor.rowcount
        return pushed, announce(policy, now) if pushed else 0


def announce(policy, now):
    """Inbox messages of the pushes of ``policy`` made at ``now``, one per enterprise user."""
    users = (
        User.objects.filter(
            role=User.Role.ENTERPRISE,
            is_active=True,
            enterprise__policy_pushes__policy=policy,
            enterprise__policy_pushes__pushed_at=now,
        )
        .order_by()
        .values_list("pk", "enterprise__policy_pushes__pk")
    )
    recipients = defaultdict(list)
    for user_id, push_id in users:
        recipients[push_id].append(Recipient(user_id, ""))
    if not recipients:
        return 0
    subject = Truncator(_("新政策：%(title)s") % {"title": policy.title}).chars(200)
    body = _("《%(title)s》与贵企业的条件相符。打开可查看政策全文和匹配的条件。") % {
        "title": policy.title
    }
    url = _open_urls()
    return outbox.enqueue_many(
        [(people, subject, body, url(push_id)) for push_id, people in recipients.items()],
        kind=MESSAGE_KIND,
        email=False,
    )
