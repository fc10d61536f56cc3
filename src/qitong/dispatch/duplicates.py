"""Near-duplicate appeals: how alike two texts are, the most similar cases, the week's hot topics.

``similarity(a, b)`` is the cosine of the two texts' sets of Chinese character
pairs (the Chinese characters of each run of text, as ``text.words`` keeps
them; punctuation, digits and Latin letters left out): 1 for the same words,
about 0.8 for the same request reworded or cut short, below 0.5 for two cases
that merely share a subject. ``THRESHOLD`` is where the office's screen calls
a case a likely duplicate; ``bench/dispatch.py`` measures precision and recall
there on the public data's repeated postings (docs/benchmarks.md).

``Index`` finds a text's most similar among many without comparing every pair:
an inverted index of the pairs, read only through the query's ``LOOKUPS``
rarest (a pair in more than ``Index.COMMON`` of the texts points nowhere
useful), the candidates sharing most of them scored exactly.
"""

import math
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_migrate

from qitong.appeals.models import Appeal
from qitong.dispatch import text as T

THRESHOLD = 0.7  # a likely duplicate (the office's screen and the repeated trigger)


def likely(score):
    """Whether a similarity ``score`` marks a likely duplicate (``THRESHOLD``)."""
    return score >= THRESHOLD


SHOWN = 0.4  # the least similarity worth showing the office
HOT = 0.45  # a hot topic: appeals at least this alike, from different enterprises
RECENT = timedelta(days=90)  # closed cases still worth comparing with
CANDIDATES = 2000  # the newest open or recent cases a new one is compared with
NON_CJK = re.compile(r"[^\u4e00-\u9fff]+")


def pairs(text):
    """The set of adjacent Chinese character pairs of ``text`` (within each run)."""
    runs = NON_CJK.split(T.URL.sub(" ", text or ""))
    return frozenset(run[i : i + 2] for run in runs for i in range(len(run) - 1))


def cosine(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def similarity(a, b):
    return cosine(pairs(a), pairs(b))


class Index:
    """Texts by key, to find each one's most similar quickly."""

    COMMON = 0.05  # a pair in more than this share of the texts is not looked up,
    ALWAYS = 50  # unless in this few
    LOOKUPS = 48  # the query's rarest pairs looked up
    SHORTLIST = 40  # candidates scored exactly per query

    def __init__(self):
        self.grams = {}
        self.postings = defaultdict(list)

    def add(self, key, text=None, *, grams=None):
        """Index ``text`` (or its ``grams``, already ``pairs``) under ``key``."""
        grams = pairs(text) if grams is None else grams
        self.grams[key] = grams
        for gram in grams:
            self.postings[gram].append(key)

    def similar(self, text=None, *, grams=None, limit=5, floor=SHOWN, exclude=(), shortlist=None):
        """``[(key, score)]``: the ``limit`` most similar texts scoring at least ``floor``.

        The ``shortlist`` (default ``SHORTLIST``) keys sharing most of the
        query's rarest pairs are scored exactly.
        """
        grams = pairs(text) if grams is None else grams
        common = max(self.ALWAYS, self.COMMON * len(self.grams))
        # The query's rarest pairs are enough to bring its near duplicates up.
        rare = sorted(
            (keys for gram in grams if 0 < len(keys := self.postings.get(gram, ())) <= common),
            key=len,
        )[: self.LOOKUPS]
        shared = Counter()
        for keys in rare:
            shared.update(keys)
        found = []
        for key, _count in shared.most_common(shortlist or self.SHORTLIST):
            if key in exclude:
                continue
            score = cosine(grams, self.grams[key])
            if score >= floor:
                found.append((key, score))
        found.sort(key=lambda pair: (-pair[1], str(pair[0])))
        return found[:limit]


def appeal_text(appeal):
    """What is compared: the title and the content."""
    return f"{appeal.title}\n{appeal.content}"


def clusters(items, *, threshold=HOT):
    """Group ``items`` (``(key, group, text or its pairs)``) by similarity, single link above
    ``threshold``.

    Returns lists of keys, largest spread first (by distinct ``group``s, then size).
    """
    items = [
        (key, group, text if isinstance(text, frozenset) else pairs(text))
        for key, group, text in items
    ]
    index = Index()
    for key, _group, grams in items:
        index.add(key, grams=grams)
    parent = {key: key for key, _group, _grams in items}

    def root(key):
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key, _group, grams in items:
        for other, _score in index.similar(grams=grams, limit=20, floor=threshold, exclude={key}):
            a, b = root(key), root(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups_of = {key: group for key, group, _text in items}
    found = defaultdict(list)
    for key, _group, _text in items:
        found[root(key)].append(key)
    return sorted(
        (keys for keys in found.values() if len(keys) > 1),
        key=lambda keys: (-len({groups_of[k] for k in keys}), -len(keys), min(keys)),
    )


# --- in the installation ---------------------------------------------------------------


class Pool:
    """The pairs of the newest open or recent cases, kept by the process: an ``Index`` of them.

    A case's title and content never change once filed, so the pool is read
    whole once (the newest ``CANDIDATES`` open or recent cases) and then only
    for the cases filed since (``pk`` above the last one read): a triage page,
    a filing form's check or a sweep reads the texts of what is new and of the
    few cases it shows, not of thousands. It is read whole again every
    ``REBUILD`` (the cases closed or older than ``RECENT`` leave it then; until
    then the caller's query leaves them out). ``read`` counts the texts read.

    Ids are given when a case is inserted, not when it commits: a filing that
    commits after a later one would sit below ``last_pk``. So the ids skipped
    between two reads are kept (``gaps``, the newest ``GAPS``) and asked for
    again with the new cases each time, until they are read (a filing that
    committed late) or the pool is read whole (a filing rolled back).

    The pool holds what one database state shows: read inside a transaction
    (a test's, which rolls back), it serves that transaction only; outside
    any, the committed cases, whose ids are never given again. A flushed
    database (``post_migrate``) empties it.
    """

    REBUILD = 600  # seconds
    GAPS = 1000  # skipped ids asked for again, the newest

    def __init__(self):
        self._lock = threading.Lock()
        self.read = 0
        self._reset(None)

    def _reset(self, owner):
        self.index, self.last_pk, self.built, self.owner = Index(), 0, None, owner
        self.gaps = set()
        self._interned = {}

    def clear(self, **_kwargs):
        with self._lock:
            self._reset(None)

    @staticmethod
    def _owner():
        connection = transaction.get_connection()
        return (connection.alias, tuple(connection.atomic_blocks))

    def _grams(self, title, content):
        self.read += 1
        intern = self._interned.setdefault
        return frozenset(intern(gram, gram) for gram in pairs(f"{title}\n{content}"))

    def _add(self, rows, *, since=None):
        """Index ``rows``; with ``since`` (the ``last_pk`` they were read above), the ids
        between it and the newest row that were not among them become ``gaps``."""
        seen = set()
        for pk, title, content in rows:
            seen.add(pk)
            if pk not in self.index.grams:
                self.index.add(pk, grams=self._grams(title, content))
            self.last_pk = max(self.last_pk, pk)
        if since is not None:
            self.gaps -= seen
            low = max(since + 1, self.last_pk - self.GAPS)
            self.gaps.update(pk for pk in range(low, self.last_pk) if pk not in seen)
            if len(self.gaps) > self.GAPS:
                self.gaps = set(sorted(self.gaps)[-self.GAPS :])

    def current(self, at, *, new=True):
        """The index, read whole if stale, else with the cases filed since (``new``).

        The caller holds ``lock``.
        """
        owner = self._owner()
        if (
            self.owner != owner
            or self.built is None
            or time.monotonic() - self.built > self.REBUILD
        ):
            self._reset(owner)
            self.built = time.monotonic()
            self._add(
                Appeal.objects.filter(
                    Q(status__in=Appeal.OPEN_STATES) | Q(created_at__gte=at - RECENT)
                )
                .order_by("-pk")
                .values_list("pk", "title", "content")[:CANDIDATES]
            )
            if not self.index.grams:
                self.last_pk = (
                    Appeal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                )
        elif new:
            wanted = Q(pk__gt=self.last_pk)
            if self.gaps:
                wanted |= Q(pk__in=sorted(self.gaps))
            self._add(
                Appeal.objects.filter(wanted).order_by("pk").values_list("pk", "title", "content"),
                since=self.last_pk,
            )
        return self.index

    @property
    def lock(self):
        return self._lock

    def grams_of(self, pks, at):
        """``{pk: pairs}`` of the cases ``pks``: those in the pool without a query, the
        others read by id (and kept)."""
        with self._lock:
            index = self.current(at, new=False)
            missing = [pk for pk in pks if pk not in index.grams]
            if missing:
                rows = Appeal.objects.filter(pk__in=missing).values_list("pk", "title", "content")
                for pk, title, content in rows:
                    # kept without moving ``last_pk``: the cases filed before it are still to read
                    index.add(pk, grams=self._grams(title, content))
            return {pk: index.grams[pk] for pk in pks if pk in index.grams}


POOL = Pool()
post_migrate.connect(POOL.clear, dispatch_uid="dispatch-duplicates-pool")

SHORTLIST = 200  # the pool's cases scored exactly for one query, before the caller's scope


def similar_appeals(title, content, candidates, *, at, exclude=None, limit=5, floor=SHOWN):
    """``[(appeal, score)]``: the cases of ``candidates`` most like ``title`` + ``content``.

    Compared with the open cases and those filed within ``RECENT``, through
    the pool's index (``POOL``): the cases sharing most of the text's rarest
    pairs are scored, then ``candidates`` (the user's scope) keeps its own in
    one query of their ids; only the ``limit`` shown are read.
    """
    grams = pairs(f"{title}\n{content}")
    with POOL.lock:
        scored = POOL.current(at).similar(
            grams=grams,
            limit=SHORTLIST,
            floor=floor,
            exclude={exclude} if exclude is not None else (),
            shortlist=SHORTLIST,
        )
    if not scored:
        return []
    kept = set(
        candidates.filter(Q(status__in=Appeal.OPEN_STATES) | Q(created_at__gte=at - RECENT))
        .filter(pk__in=[pk for pk, _score in scored])
        .values_list("pk", flat=True)
    )
    scored = sorted(
        ((pk, score) for pk, score in scored if pk in kept), key=lambda pair: (-pair[1], -pair[0])
    )[:limit]
    found = (
        Appeal.objects.filter(pk__in=[pk for pk, _s in scored])
        .select_related("enterprise")
        .in_bulk()
    )
    return [(found[pk], score) for pk, score in scored if pk in found]


def hot_topics(candidates, *, at, days=7, least=2, limit=10):
    """The week's hot topics: clusters of alike appeals from at least ``least`` enterprises.

    ``[{"appeals": [...], "enterprises": n, "title": the earliest's title}]``,
    the widest spread first.
    """
    rows = list(
        candidates.filter(created_at__gt=at - timedelta(days=days), created_at__lte=at)
        .exclude(status=Appeal.Status.REJECTED)
        .order_by("-created_at")
        .values_list("pk", "enterprise_id")[:CANDIDATES]
    )
    grams = POOL.grams_of([pk for pk, _enterprise in rows], at)
    groups = clusters((pk, enterprise, grams[pk]) for pk, enterprise in rows)
    enterprise_of = dict(rows)
    wide = [keys for keys in groups if len({enterprise_of[k] for k in keys}) >= least][:limit]
    found = Appeal.objects.filter(pk__in=[k for keys in wide for k in keys]).in_bulk()
    topics = []
    for keys in wide:
        appeals = sorted((found[k] for k in keys if k in found), key=lambda a: a.created_at)
        topics.append(
            {
                "appeals": appeals,
                "enterprises": len({a.enterprise_id for a in appeals}),
                "title": appeals[0].title if appeals else "",
            }
        )
    return topics


def repeated_ids(at):
    """The open appeals the ``repeated`` trigger supervises for their text (``appeals.sweep``).

    The near duplicates (``THRESHOLD``, single link) among the cases filed in
    the trigger's window: one enterprise's ``QITONG_REPEATED_BY_ONE`` within
    its days, or ``QITONG_REPEATED_BY_MANY`` enterprises within its days,
    whatever their categories. The office's own links join a duplicate to its
    primary's group. The newest ``CANDIDATES`` cases of the window are read.
    """
    by_one, by_many = settings.QITONG_REPEATED_BY_ONE, settings.QITONG_REPEATED_BY_MANY
    since = at - timedelta(days=max(by_one["days"], by_many["days"]))
    rows = list(
        Appeal.objects.filter(created_at__gt=since, created_at__lte=at)
        .exclude(status=Appeal.Status.REJECTED)
        .order_by("-created_at")
        .values_list(
            "pk",
            "enterprise_id",
            "created_at",
            "status",
            "duplicate_of__primary",
        )[:CANDIDATES]
    )  # the sweep asks every minute: the texts come from the pool
    if len(rows) < 2:
        return []
    facts = {pk: (enterprise, created, status) for pk, enterprise, created, status, *_ in rows}
    grams = POOL.grams_of(list(facts), at)
    groups = clusters(
        ((pk, enterprise, grams[pk]) for pk, enterprise, *_rest in rows),
        threshold=THRESHOLD,
    )
    # The office's links join a duplicate's group to its primary's (both in the window).
    groups = [set(keys) for keys in groups]
    group_of = {pk: keys for keys in groups for pk in keys}
    for duplicate, *_rest, primary in rows:
        if primary not in facts:
            continue
        a = group_of.get(duplicate) or {duplicate}
        b = group_of.get(primary) or {primary}
        if a is b:
            continue
        merged = a | b
        groups = [keys for keys in groups if keys is not a and keys is not b] + [merged]
        for key in merged:
            group_of[key] = merged
    found = set()
    one_since = at - timedelta(days=by_one["days"])
    many_since = at - timedelta(days=by_many["days"])
    for keys in groups:
        per_enterprise = Counter(facts[k][0] for k in keys if facts[k][1] > one_since)
        crowd = {facts[k][0] for k in keys if facts[k][1] > many_since}
        for key in keys:
            enterprise, created, status = facts[key]
            if status not in Appeal.OPEN_STATES:
                continue
            if (created > one_since and per_enterprise[enterprise] >= by_one["appeals"]) or (
                created > many_since and len(crowd) >= by_many["enterprises"]
            ):
                found.add(key)
    return sorted(found)
