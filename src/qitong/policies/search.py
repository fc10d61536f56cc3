"""Searching the policy library: words, filters, the most relevant first, then the newest.

Every policy is one document of ``INDEX`` (``core.search.RankedIndex``): its title,
document number and text are searched by words; its title and number rank it (every
word in the title first, then some, then none); its issuer is a field a filter looks in
(``issuer=科学技术委员会`` finds 上海市科学技术委员会); its category, level, region (with
the divisions above it) and whether it is public are tags. Its recency is its date of
publication, so each tier lists the newest first, and a policy without a date comes last.

The index is the library's second copy of those columns: whatever changes one of them
(a crawl, a classification, a staff correction) calls ``index_policies`` in the same
transaction. ``qitong policyindex`` rebuilds it whole.
"""

from contextlib import nullcontext

from django.db import transaction
from django.db.models import Prefetch

from qitong.core import search
from qitong.orgs import scope
from qitong.policies import access
from qitong.policies.models import Page, Policy

INDEX = search.RankedIndex("policies_policy_text")
PRIVATE = "private"  # the tag of a policy staff keep from the public
PASSAGE = 120  # characters of text shown under a result
# What a document is built from, read in one query for many policies.
INDEX_COLUMNS = (
    "pk",
    "title",
    "number",
    "body",
    "issuer",
    "published",
    "category",
    "level",
    "region__code",
    "public",
)
BATCH = 500
COMMIT_BATCHES = 100  # batches a transaction in a rebuild that is not whole


def region_codes(code):
    """``code`` and the divisions above it, by the code's shape (GB/T 2260, towns 9 digits)."""
    if not code:
        return []
    found = [code]
    if len(code) == 9:
        code = code[:6]
        found.append(code)
    if not code.endswith("00"):
        found.append(code[:4] + "00")
    if not code.endswith("0000"):
        found.append(code[:2] + "0000")
    return list(dict.fromkeys(found))


def tags(category="", level="", region="", public=True):
    """The tags of a policy with these values (the filters ask for the same)."""
    found = []
    if category:
        found.append(f"c_{category}")
    if level:
        found.append(f"l_{level}")
    found.extend(f"r{code}" for code in region_codes(region))
    if not public:
        found.append(PRIVATE)
    return tuple(found)


def document(pk, title, number, body, issuer, published, category, level, region, public):
    """The index's document of one policy (the columns of ``INDEX_COLUMNS``, in order)."""
    return search.Document(
        id=pk,
        recency=published.toordinal() if published else 0,
        text="\n".join((title, number, body)),
        fields={"t": f"{title} {number}", "i": issuer},
        tags=tags(category, level, region or "", public),
    )


def index_policies(ids):
    """Put the policies ``ids`` into the index as they are now (again, if they were there)."""
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        rows = Policy.objects.filter(pk__in=ids[start : start + BATCH]).values_list(*INDEX_COLUMNS)
        INDEX.put(document(*row) for row in rows)


def rebuild(policies=Policy.objects, *, whole=True):
    """Index the whole library again, a batch at a time; returns how many.

    ``policies``: the policies' manager (a migration's model has its own). ``whole``: in one
    transaction, so that searches read the old index until the new one is complete; else
    ``COMMIT_BATCHES`` batches a transaction (a migration's, while the platform is stopped:
    SQLite's log then holds one part at a time, not all the new index's segments)."""
    with transaction.atomic() if whole else nullcontext():
        with transaction.atomic():
            INDEX.clear()
        return _fill(policies)


def _fill(policies):
    last, total = 0, 0
    with INDEX.filling():
        while True:
            # ``COMMIT_BATCHES`` a transaction (a savepoint in a whole rebuild's): FTS5 writes a
            # segment at each commit, and many small ones cost merging.
            with transaction.atomic():
                for _batch in range(COMMIT_BATCHES):
                    rows = list(
                        policies.filter(pk__gt=last)
                        .order_by("pk")
                        .values_list(*INDEX_COLUMNS)[:BATCH]
                    )
                    if not rows:
                        return total
                    INDEX.add(document(*row) for row in rows)
                    last, total = rows[-1][0], total + len(rows)


def hidden_tags(user):
    """What ``user`` may not see, as tags: ``access.visible_policies`` in the index's terms."""
    return () if scope.is_officer(user) else (PRIVATE,)


class Results:
    """One search's matches as a paginator wants them: counted up to a cap, read a page at a time.

    A page is read from the index (ids, best and newest first), then its policies from
    the caller's visible set (``access.visible_policies``), with the sites they were read
    from and, for the pages, the words marked in the title and a passage of the text.
    """

    def __init__(self, user, query, *, words=(), passages=True):
        self.user, self.query, self.words, self.passages = user, query, words, passages
        self.few = False

    def count_at_most(self, limit):
        counted = INDEX.count(self.query, limit)
        # All of them counted, and not many: the index need not ask how many it has.
        self.few = counted < limit and counted <= search.SPARSE
        return counted

    def __getitem__(self, window):
        start, stop = window.start or 0, window.stop
        ids = INDEX.window(self.query, stop, few=self.few)[start:stop]
        policies = access.visible_policies(self.user).prefetch_related(
            Prefetch(
                "pages",
                queryset=Page.objects.filter(kind=Page.Kind.DETAIL)
                .select_related("source")
                .only("url", "policy", "source__name")
                .order_by("pk"),
                to_attr="detail_pages",
            )
        )
        if not self.passages:
            policies = policies.defer("body")
        found = policies.in_bulk(ids)
        shown = [found[pk] for pk in ids if pk in found]
        for policy in shown:
            policy.marked_title = search.highlight(policy.title, self.words)
            if self.passages:
                policy.passage = search.highlight(policy.body, self.words, passage=PASSAGE)
        return shown
