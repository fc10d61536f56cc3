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
``push(policy_ids, now)`` runs inside the caller's transaction (``actions.push_new_policies``
claims a batch of policies in it): one ``INSERT … SELECT`` writes a push for every fitting
(policy, enterprise) pair of the batch — each policy's ``fitting_sql`` one branch of a
``UNION ALL``, the reasons computed by the database, the rows written in the enterprises'
order — and ``ON CONFLICT DO NOTHING`` keeps the pair unique, so a policy matched again
never pushes twice. ``announce(now)``, after the run's batches, writes the inbox messages:
one per enterprise user per run, by one more ``INSERT … SELECT``
(``notify.outbox.enqueue_rows``), naming the policy when it was one, else how many with
the newest few. No e-mail: the e-mail is the daily digest (``actions.send_digests``). No
enterprise row comes through Python.
"""

import json
import re
from collections import defaultdict, namedtuple
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Case, Exists, JSONField, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from qitong.core import clock
from qitong.enterprises.industries import section_name
from qitong.enterprises.models import Enterprise
from qitong.notify import outbox
from qitong.notify.models import Message
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

    @staticmethod
    def wide(terms):
        """Is the policy's area a whole province, or the country (no area at all)? Then nearly
        every enterprise of an installation lies in it."""
        return all(len(area.prefix) <= 2 for area in [terms.within, *terms.among] if area)

    def where(self, terms, sql):
        conditions, params = [], []
        if terms.within:
            condition, condition_params = Sql.code_starts(sql.region_code, terms.within.prefix)
            conditions.append(condition)
            params += condition_params
        if terms.among:
            parts = [Sql.code_starts(sql.region_code, area.prefix) for area in terms.among]
            conditions.append("(" + " OR ".join(part for part, _p in parts) + ")")
            params += [value for _part, part_params in parts for value in part_params]
        # The divisions first (a range of their codes' index), then the enterprises by their
        # region index — unless the area is wide: then SQLite, which knows nothing of how rows
        # are spread (PostgreSQL does), is kept to the other conditions' indexes by a "+".
        plus = self.wide(terms) and connection.vendor == "sqlite"
        column = f"+{sql.region_id}" if plus else sql.region_id
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

    def _holds_sql(self, sql, ids, narrow=False):
        # Within a narrower area SQLite reads the area's enterprises and looks each up among
        # the holders ("+"), rather than every holder's row for its region.
        column = f"+{sql.id}" if narrow and connection.vendor == "sqlite" else sql.id
        return (
            f"{column} IN (SELECT {sql.held_enterprise} FROM {sql.held} "
            f"WHERE {sql.held_qualification} IN ({', '.join(['%s'] * len(ids))}))",
            list(ids),
        )

    def where(self, terms, sql):
        narrow = AREA.applies(terms) and not AREA.wide(terms)
        return self._holds_sql(sql, [pk for pk, _name in terms.qualifications], narrow)

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
    """``(reasons, reasons_params, where, where_params, shared)``: SQL over the enterprises
    ``e``.

    ``where`` holds for exactly the enterprises ``terms`` fit. When every one of them
    matched the same words (most policies), ``shared`` is that list and ``reasons`` is
    NULL (the pushes keep none of their own); else ``shared`` is None and ``reasons`` is
    the JSON array of the words of every condition each matched.
    """
    conditions, params, words = ["1 = 1"], [], []
    for condition in CONDITIONS:
        if condition.applies(terms):
            where, where_params = condition.where(terms, sql)
            conditions.append(where)
            params += where_params
            words.append((condition, condition.constant_reason(terms)))
    where = " AND ".join(conditions)
    if all(word is not None for _condition, word in words):
        # The same words for every enterprise: kept once, on the policy (``push``).
        none = "CAST(NULL AS jsonb)" if connection.vendor == "postgresql" else "NULL"
        return none, [], where, params, [w for _c, w in words]
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
    return reasons, reason_params, where, params, None


def open_url(push_id):
    """Where a push's message leads: the enterprise's link that marks it read, then shows it."""
    return reverse("portal-policy-open", args=[push_id])


def push_columns():
    quote = connection.ops.quote_name
    meta = Push._meta
    return ", ".join(
        quote(meta.get_field(name).column)
        for name in ("policy", "enterprise", "pushed_at", "reasons", "read_at", "digested_at")
    )


# The lock a push holds shared for its transaction, and a deletion of a policy or an
# enterprise alone (PostgreSQL's advisory locks; SQLite has one writer at a time): the
# pushes have no foreign keys in the database, so a deletion must not run between a push's
# reading an enterprise and its commit, or the push would outlive it.
PUSH_LOCK = 0x51545F50555348  # "QT_PUSH"


def _push_lock(function):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [PUSH_LOCK])


def hold_deletions():
    """In a push's transaction: policies and enterprises are not deleted until it commits."""
    _push_lock("pg_advisory_xact_lock_shared")


def wait_for_pushes(sender, **kwargs):
    """``pre_delete`` of a policy or an enterprise (before its pushes are deleted, in the
    deletion's transaction): wait for the pushes under way, and keep new ones waiting."""
    _push_lock("pg_advisory_xact_lock")


def push(policy_ids, now):
    """Push the policies ``policy_ids`` (claimed by the caller, in its transaction) to every
    enterprise each fits; returns the pushes written.

    One ``INSERT … SELECT`` for them all: each policy's ``fitting_sql`` a branch of a
    ``UNION ALL``, the pairs written in the enterprises' order (the indexes by enterprise
    are then walked once, not hit at random); the policies pushed before (matched again)
    get one of their own, which skips the pairs already there. Nothing for a policy not
    open on ``now``'s date. Pushes already made stay as they are; the new ones
    carry ``now``, the policies' ``matched_at``, which is how ``announce`` finds them.

    A policy whose reasons are the same for every enterprise it fits keeps them once
    (``Policy.push_reasons``), its new pushes none of their own; pushes of an earlier
    matching that relied on the policy's are given theirs first.
    """
    hold_deletions()
    found = load_terms(open_policies(clock.local(now).date()).filter(pk__in=policy_ids))
    if not found:
        return 0
    # A policy pushed before (matched again) may meet its earlier pushes; the rest cannot:
    # they are claimed by this transaction and only this function writes pushes. PostgreSQL's
    # ON CONFLICT costs a speculative insertion a row, about as much as the row itself (4
    # million rows: 17 s plain, 33 s with it), so only the policies pushed before pay it.
    again = set(
        Policy.objects.filter(pk__in=[policy.pk for policy, _terms in found])
        .filter(Exists(Push.objects.filter(policy_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    with translation.override(settings.LANGUAGE_CODE):  # the words are kept in the database
        sql = Sql()
        branches, shared = {False: ([], []), True: ([], [])}, {}
        for policy, terms in sorted(found, key=lambda pair: pair[0].pk):
            reasons, reason_params, where, where_params, shared[policy.pk] = fitting_sql(terms, sql)
            selects, params = branches[policy.pk in again]
            selects.append(
                f"SELECT {int(policy.pk)} AS policy_id, {sql.id} AS enterprise_id, "
                f"{reasons} AS reasons FROM {sql.enterprise} e WHERE {where}"
            )
            params += [*reason_params, *where_params]
    pushed_at = Push._meta.get_field("pushed_at").get_db_prep_save(now, connection)
    _share_reasons(shared)
    written = 0
    with connection.cursor() as cursor:
        for pushed_before, (selects, params) in branches.items():
            if not selects:
                continue
            # ("WHERE 1 = 1": SQLite reads an ON right after the FROM as a join's.)
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(Push._meta.db_table)} "
                f"({push_columns()}) "
                "SELECT matched.policy_id, matched.enterprise_id, %s, matched.reasons, NULL, NULL "
                f"FROM ({' UNION ALL '.join(selects)}) matched WHERE 1 = 1 "
                "ORDER BY matched.enterprise_id, matched.policy_id"
                + (" ON CONFLICT DO NOTHING" if pushed_before else ""),
                [pushed_at, *params],
            )
            written += cursor.rowcount
    return written


def _share_reasons(shared):
    """Set the policies' ``push_reasons`` to ``shared`` ({policy id: words or None}); the
    pushes that relied on a policy's earlier ones are given them as their own first."""
    for pk, earlier in Policy.objects.filter(
        pk__in=list(shared), push_reasons__isnull=False
    ).values_list("pk", "push_reasons"):
        if earlier != shared[pk]:
            Push.objects.filter(policy_id=pk, reasons__isnull=True).update(reasons=earlier)
    # Two statements a batch: the policies with words of their own, and the rest.
    given = {pk: words for pk, words in shared.items() if words is not None}
    if given:
        Policy.objects.filter(pk__in=list(given)).update(
            push_reasons=Case(
                *(When(pk=pk, then=Value(words, JSONField())) for pk, words in given.items())
            )
        )
    Policy.objects.filter(pk__in=[pk for pk in shared if pk not in given]).update(push_reasons=None)


# An inbox message telling of several policies names this many of them (the newest first).
LISTED = 5
SUBJECT_LENGTH = Message._meta.get_field("subject").max_length


def _words_sql(template, **columns):
    """``(sql, params)``: ``template`` translated, each ``%(name)s`` in it the SQL text
    ``columns[name]`` (or its ``(sql, params)``) and the words between them parameters (a
    translation may reorder them)."""
    marks = {name: f"{MARK}{index}{MARK}" for index, name in enumerate(columns)}
    pieces = re.split(f"{MARK}(\\d+){MARK}", _(template) % marks)
    names = list(columns)
    parts, params = [], []
    for index, piece in enumerate(pieces):
        if index % 2:  # a column: its SQL, or (SQL, its parameters)
            value = columns[names[int(piece)]]
            sql, value_params = (value, []) if isinstance(value, str) else value
            parts.append(sql)
            params += value_params
        elif piece:
            parts.append(Sql.text())
            params.append(piece)
    return "(" + " || ".join(parts or ["''"]) + ")", params


def _cut(sql, params, length):
    """``sql`` cut to ``length`` characters as ``Truncator.chars`` cuts: the last one "…"."""
    return (
        f"CASE WHEN LENGTH({sql}) > {int(length)} "
        f"THEN SUBSTR({sql}, 1, {int(length) - 1}) || {Sql.text()} ELSE {sql} END",
        [*params, *params, "…", *params],
    )


def announce(now):
    """The inbox messages of the pushes not told of yet: one per enterprise user per run.

    Claims the policies matched and not yet announced (``announced_at``; ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, so two runs never tell of one policy twice), then one ``INSERT
    … SELECT`` (``notify.outbox.enqueue_rows``) writes, for each enterprise and each instant
    those policies were matched at (a run's: a run that died before telling is told of by
    the next, at its own instant), one message to each of the enterprise's active users:
    the policy when it was one, leading to it (its push's link); else how many, naming up
    to ``LISTED`` of them, newest first, leading to 我的政策. The message bears the pushes'
    instant. No e-mail: that is the daily digest (``actions.send_digests``).
    Returns the messages written.
    """
    quote = connection.ops.quote_name
    meta = Policy._meta
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    field = meta.get_field("announced_at")
    waiting = Policy.objects.filter(matched_at__isnull=False, announced_at__isnull=True)
    waiting = waiting.order_by("pk").values("pk")
    if connection.features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True)
    waiting_sql, waiting_params = waiting.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {quote(field.column)} = %s "
            f"WHERE {pk} IN ({waiting_sql}) AND {quote(field.column)} IS NULL RETURNING {pk}",
            [field.get_db_prep_save(now, connection), *waiting_params],
        )
        claimed = sorted(row[0] for row in cursor.fetchall())
    if not claimed:
        return 0
    runs = defaultdict(list)  # the instant a policy was matched at (its new pushes'): policies
    for start in range(0, len(claimed), 500):
        for pk, matched_at in Policy.objects.filter(
            pk__in=claimed[start : start + 500]
        ).values_list("pk", "matched_at"):
            runs[matched_at].append(pk)
    with translation.override(settings.LANGUAGE_CODE):  # the words are kept in the database
        rows_sql, rows_params = _letters_sql(runs)
    return outbox.enqueue_rows(rows_sql, rows_params, kind=MESSAGE_KIND, email=False)


def _letters_sql(runs):
    """``outbox.enqueue_rows``'s query telling of the new pushes of ``runs`` (the policies
    matched at each instant: their pushes of that instant): ``(sql, params)``.

    Read enterprise by enterprise through the index of their pushes (``policies_push_enterprise``:
    enterprise, instant, policy), so the run's pushes come grouped without being sorted.
    """
    quote = connection.ops.quote_name
    text = Sql.text()
    push_meta, policy_meta, user_meta = Push._meta, Policy._meta, User._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    enterprise, pushed_at = column(push_meta, "enterprise"), column(push_meta, "pushed_at")
    policy = column(push_meta, "policy")
    enterprises = quote(Enterprise._meta.db_table)
    enterprise_pk = quote(Enterprise._meta.pk.column)
    field = push_meta.get_field("pushed_at")
    groups, group_params = [], []
    for instant, policy_ids in sorted(runs.items()):
        ids = ", ".join(str(int(pk)) for pk in sorted(policy_ids))
        # CROSS JOIN: SQLite keeps this order (each enterprise, then its pushes by the index).
        groups.append(
            f"SELECT e.{enterprise_pk} AS enterprise_id, p.{pushed_at} AS at, COUNT(*) AS n, "
            f"MIN(p.{quote(push_meta.pk.column)}) AS push_id, MAX(p.{policy}) AS policy_id "
            f"FROM {enterprises} e CROSS JOIN {quote(push_meta.db_table)} p "
            f"WHERE p.{enterprise} = e.{enterprise_pk} AND p.{pushed_at} = %s "
            # ("+": the index is read by enterprise and instant, its policies filtered, not
            # sought one by one for every enterprise)
            f"AND +p.{policy} IN ({ids}) GROUP BY e.{enterprise_pk}, p.{pushed_at}"
        )
        group_params.append(field.get_db_prep_save(instant, connection))
    # Up to ``LISTED`` titles of a run of several, newest first (a correlated subquery: only
    # for the messages that list them, through the same index).
    listed_ids = ", ".join(str(int(pk)) for ids in runs.values() for pk in ids)
    quoted, quoted_params = _words_sql("《%(title)s》", title=f"pol.{column(policy_meta, 'title')}")
    newest = (
        f"SELECT {quoted} AS title, x.{policy} AS policy_id "
        f"FROM {quote(push_meta.db_table)} x JOIN {quote(policy_meta.db_table)} pol "
        f"ON pol.{quote(policy_meta.pk.column)} = x.{policy} "
        f"WHERE x.{enterprise} = run.enterprise_id AND x.{pushed_at} = run.at "
        f"AND +x.{policy} IN ({listed_ids}) ORDER BY x.{policy} DESC LIMIT {LISTED}"
    )
    if connection.vendor == "postgresql":
        listed = f"(SELECT STRING_AGG(q.title, {text} ORDER BY q.policy_id DESC) FROM ({newest}) q)"
    else:  # GROUP_CONCAT keeps the subquery's order
        listed = f"(SELECT GROUP_CONCAT(q.title, {text}) FROM ({newest}) q)"
    listed_params = [_("、"), *quoted_params]  # the separator comes first in the text
    run = (
        f"SELECT grouped.*, pol.{column(policy_meta, 'title')} AS title "
        f"FROM ({' UNION ALL '.join(groups)}) grouped JOIN {quote(policy_meta.db_table)} pol "
        f"ON pol.{quote(policy_meta.pk.column)} = grouped.policy_id"
    )
    count = "CAST(run.n AS TEXT)"
    one_subject = _cut(*_words_sql("新政策：%(title)s", title="run.title"), SUBJECT_LENGTH)
    one_body = _words_sql(
        "《%(title)s》与贵企业的条件相符。打开可查看政策全文和匹配的条件。", title="run.title"
    )
    many_subject = _words_sql("%(count)s 项新政策与贵企业的条件相符", count=count)
    many_body = _words_sql(
        "%(titles)s等 %(count)s 项新政策与贵企业的条件相符。打开“我的政策”可查看全文和匹配的条件。",
        titles=(listed, listed_params),
        count=count,
    )
    head, tail = open_url(0).rsplit("/0/", 1)
    one_url = f"{text} || CAST(run.push_id AS TEXT) || {text}"
    words, params = [], []
    for one, many in (
        (one_subject, many_subject),
        (one_body, many_body),
        ((one_url, [head + "/", "/" + tail]), (text, [reverse("portal-policies")])),
    ):
        words.append(f"CASE WHEN run.n = 1 THEN {one[0]} ELSE {many[0]} END")
        params += [*one[1], *many[1]]
    sql = (
        f"SELECT u.{quote(user_meta.pk.column)} AS id, u.{column(user_meta, 'email')} AS email, "
        f"u.{column(user_meta, 'phone')} AS phone, u.{column(user_meta, 'unit')} AS unit_id, "
        f"{words[0]} AS subject, {words[1]} AS body, {words[2]} AS url, run.at AS created_at "
        f"FROM ({run}) run JOIN {quote(user_meta.db_table)} u "
        f"ON u.{column(user_meta, 'enterprise')} = run.enterprise_id "
        f"WHERE u.{column(user_meta, 'role')} = %s AND u.{column(user_meta, 'is_active')}"
    )
    # The parameters in the statement's order: the words, then the run's, then the role.
    return sql, [*params, *group_params, User.Role.ENTERPRISE.value]
