"""Full-text search over Chinese text in the database's own index.

Chinese has no spaces between words, so a text is indexed as its overlapping
pairs of characters (贷款贴息 → 贷款 款贴 贴息) and its Latin and digit words
(lower case, full-width folded); a search word becomes the phrase of its own
terms, so it finds the texts that contain it, whatever the word boundaries. A
word the index cannot answer — one Chinese character on its own, or nothing
searchable — gets ``None`` from ``TextIndex.find``, as does a word so common
that a list of its matches would cost more than reading texts until a page is
full; the caller then falls back to a plain substring filter.

SQLite keeps the terms in a contentless FTS5 table (row id = the object's id),
PostgreSQL in a ``tsvector`` column with a GIN index. Both are fed literal terms
with their positions, never a text-search parser, so neither depends on the
server's locale or dictionaries.

``RankedIndex`` (below) is the searching of a library, where a page must be ranked
and filtered, not only found: the most relevant first, then the newest, without
scoring every match; ``highlight`` shows what was found.
"""

import re
import time
import unicodedata
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection as default_connection
from django.db import transaction
from django.utils.html import escape
from django.utils.safestring import mark_safe

from qitong.core import bulk

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A run of letters or digits longer than this is read as several (a term stays far below
# PostgreSQL's 2,046 bytes, past which a tsvector refuses it and the text is not indexed).
LONGEST_WORD = 100
RUN = re.compile(rf"[0-9a-z]{{1,{LONGEST_WORD}}}|[{HAN}]+")
MAX_POSITION = 16383  # PostgreSQL's limit for a position in a tsvector


def terms(text):
    """The index terms of ``text``, in order."""
    found = []
    for run in RUN.findall(unicodedata.normalize("NFKC", text or "").lower()):
        if run[0].isascii() or len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return found


def word_terms(word):
    """The phrase that finds ``word``; None when the index cannot answer for it.

    A lone Chinese character is indexed only where it stands alone in the text,
    so a word with one (一, or A股) is left to a substring search.
    """
    runs = RUN.findall(unicodedata.normalize("NFKC", word or "").lower())
    if not runs or any(not run[0].isascii() and len(run) == 1 for run in runs):
        return None
    return terms(word)


class TextIndex:
    """One searchable text per object id, in a table of its own named ``table``."""

    def __init__(self, table):
        self.table = table

    # --- schema (called from migrations) -----------------------------------------------

    def create(self, schema_editor):
        quoted = schema_editor.quote_name(self.table)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TABLE {quoted} (id bigint PRIMARY KEY, terms tsvector NOT NULL)"
            )
            index = schema_editor.quote_name(f"{self.table}_terms")
            schema_editor.execute(f"CREATE INDEX {index} ON {quoted} USING gin (terms)")
        else:
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {quoted} USING fts5(terms, content='', columnsize=0)"
            )

    def drop(self, schema_editor):
        schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(self.table)}")

    # --- writing -----------------------------------------------------------------------

    def add_many(self, rows, connection=None):
        """Index ``(id, text)`` pairs of new objects (an object is indexed once, when created)."""
        connection = connection or default_connection
        quoted = connection.ops.quote_name(self.table)
        if connection.vendor == "postgresql":
            sql = f"INSERT INTO {quoted} (id, terms) VALUES (%s, %s::tsvector)"
            params = [(pk, _tsvector(terms(text))) for pk, text in rows]
        else:
            sql = f"INSERT INTO {quoted} (rowid, terms) VALUES (%s, %s)"
            params = [(pk, " ".join(terms(text))) for pk, text in rows]
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(sql, params)

    # --- reading -----------------------------------------------------------------------

    def find(self, word, *, at_most, connection=None):
        """The ids whose text contains ``word``, if there are at most ``at_most`` of them.

        None when the index cannot answer for the word (``word_terms``) or the
        word is that common: a substring filter read newest first then finds a
        page of them sooner than a list of every match would, and a rare word is
        where the index saves reading every text.
        """
        phrase = word_terms(word)
        if phrase is None:
            return None
        connection = connection or default_connection
        quoted = connection.ops.quote_name(self.table)
        if connection.vendor == "postgresql":
            query = " <-> ".join(f"'{term}'" for term in phrase)
            sql = f"SELECT id FROM {quoted} WHERE terms @@ %s::tsquery LIMIT %s"
        else:
            query = '"' + " ".join(phrase) + '"'
            sql = f"SELECT rowid FROM {quoted} WHERE {quoted} MATCH %s LIMIT %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [query, at_most + 1])
            ids = [row[0] for row in cursor.fetchall()]
        return ids if len(ids) <= at_most else None


def _tsvector(found):
    """A tsvector literal: each term quoted, with its position (terms hold no quote)."""
    return " ".join(
        f"'{term}':{min(position, MAX_POSITION)}" for position, term in enumerate(found, start=1)
    )


# === Ranked search ============================================================================
#
# ``RankedIndex`` answers "the first N documents matching these words and filters, the most
# relevant first and the newest first among equals" without ranking every match. Relevance
# is a tier, not a score: a document whose rank field (a title) holds every word comes
# first, then one whose rank field holds some of them, then one that has them only in its
# text. Each document's key is its recency and its id, ``recency << 32 | id``, so each tier
# is read newest first along the key and the reading stops as soon as the page is full: a
# word common enough to match a million texts costs what the page shows, not what it
# matches; counting stops at the caller's cap (``core.pages.CappedPaginator``).
#
# Filters are terms of the same index: a field's words (an issuer) are its terms behind a
# prefix ("_i" + term), a tag ("__" + tag: a category, a level, a region) is one term, so a
# filtered search is one intersection inside the index, not a lookup per match. Text terms
# never begin with "_", so neither kind can collide with a text's.
#
# Every word is answerable: besides its pairs, a Chinese run of several characters ends
# with its last character alone (贷款贴息 → 贷款 款贴 贴息 息), so a word of one character is
# the prefix of a term wherever it stands in a text (税 finds 税收, 纳税, 纳税人).
#
# Where letters or digits meet another run, the joint is a term too (``joint``: 〔2023〕27号
# → 2023 2023_27 27 27_号 号). A document number's every run is common (2023 is in a
# fifth of a library, 号 in most texts), so its phrase alone has FTS5 check the positions
# of every text holding them all, and PostgreSQL's GIN index hand over each as a candidate;
# its joints are rare together (at 1,500,000 policies 国办发〔2023〕27号 took 38.6 ms on
# SQLite without them).
#
# SQLite keeps the terms in a contentless FTS5 table whose row id is the key: FTS5 walks
# its lists by descending row id and checks phrases by the positions it keeps, so every
# tier is one MATCH read newest first. To take a document out again FTS5 must be told its
# terms, so a side table keeps each document's, compressed. FTS5 also keeps each term
# under its first character (``prefix='1'``): a word of one character is then one list to
# read, where without it FTS5 merges the lists of every term the character begins before
# it can hand out the newest (税 at 500,000 policies: 48 ms; the index grows by about
# half, the price of a unigram index, which a Chinese library needs).
#
# PostgreSQL keeps, per document, the distinct terms of its text, fields and tags in one
# ``tsvector`` without positions (``terms``, GIN-indexed: it finds candidates exactly for a
# word of one term, a tag or a field's term, and a superset for a phrase), the positions
# of the small fields and tags in another (``marks``), and the text folded as the index
# reads it (``text``: runs of letters, digits or Chinese, one space between), where a
# phrase is a substring (``Phrase.pattern``), so checking one never reads a large vector.
# A GIN index cannot hand out its matches in key order, and reading a large vector per row
# is what makes PostgreSQL's own phrase search slow, so a row is only ever checked on its
# small columns, and each tier is read two ways: "dense", newest first along the key's
# btree, among the ``DENSE_ROWS`` newest documents at most (a tier that many hold fills a
# page within them); then, if the page is not full, "sparse" among the older ones: their
# candidates through the GIN index, checked and sorted (a tier that few of the newest
# hold is rare, so it has few candidates), window by window of recency: each document's
# ``terms`` also hold its key's period (``PERIOD_MARK``), so the GIN index intersects a
# word with the periods of the newest ``DENSE_ROWS`` documents, then with the
# ``WINDOW_PERIODS`` before them, and only those candidates' rows are visited; a word of
# middling frequency (a few per cent of a library) fills its page or its count in the
# first windows instead of visiting each of its matches (高新技术 at 1,500,000 policies:
# 85,940 rows). Only the oldest part, reached by rare words, is read without a window. The
# rows lie in key order (``_lay_out``), so a window's candidates lie together in the GIN
# index's lists and in the table. Which way is asked of the planner first
# (``_expects``): a tier whose candidates it expects too few of among the newest to fill
# the page is read sparse at once (a word in few titles: 20 ms of dense reading saved at
# 200,000 policies); a word of one character, which the planner cannot weigh, by its
# matches among the ``SAMPLE_ROWS`` newest. A search whose count found few matches is
# read sparse throughout. The count likewise: a query expected common is counted among
# the newest first, where it reaches the cap long before a GIN bitmap of its every match
# would be built (企业 at 200,000 policies: 30 ms → 11 ms), then sparse among the older.

FIELD_MARK = "_"  # "_" + the field's letter + a term: a field's copy of its terms
JOINT = "_"  # between the two sides of a joint's term (``joint``): never its first character
TAG_MARK = "__"  # "__" + a tag
ALL_TAG = "all"  # every document carries it: the search with no words and no filters
# PostgreSQL: "_~" + the period of a document's key, in its ``terms``: a window on recency
# inside the GIN index. A period is 2**5 units of recency (32 days of a date's ordinal).
PERIOD_MARK = "_~"
PERIOD_SHIFT = 5
# FTS5 keeps a transaction's new terms in memory up to this many bytes before writing a
# segment: its default, and what a first fill uses for fewer, larger segments to merge.
HASH, FILL_HASH = 1024 * 1024, 64 * 1024 * 1024
FILL_MEMORY = "512MB"  # PostgreSQL's maintenance_work_mem to build the GIN index after a fill
# PostgreSQL: a search with at most this many matches is read sparse.
SPARSE = 2000
# PostgreSQL: a tier is read dense among this many newest documents at most, then sparse.
DENSE_ROWS = 5000
# PostgreSQL: a sparse reading goes back in windows: the newest DENSE_ROWS documents' periods,
# then windows of these many periods before them, one after the other, then the rest. A
# window is read through the GIN index with its periods' terms (``PERIOD_MARK``), so only
# its own candidates are visited; each period's term costs a lookup (48 in one window cost
# more than they saved at 1,500,000 policies), so a window spanning more than MOST_PERIODS
# is read without them.
WINDOW_PERIODS = (8, 8, 16)
MOST_PERIODS = 32
# PostgreSQL: a tier is read dense when the newest DENSE_ROWS are expected to hold this many
# times what it wants, so that the reading stops well before their end; else its windowed
# sparse reading costs less (at 1,500,000 policies even for 企业: 22 → 5 ms).
DENSE_MARGIN = 4
NEWEST_SECONDS = 300  # how long the key of the DENSE_ROWS-th newest document is kept
# PostgreSQL: a word of one character is weighed by its matches among this many newest.
SAMPLE_ROWS = 200
# PostgreSQL's work_mem during a search: the bitmap of a term in a million documents stays
# exact (a lossy bitmap would have PostgreSQL read ``terms`` of every row on a lossy page).
SEARCH_MEMORY = "64MB"
ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
MOST_RECENCY = (1 << 31) - 1


def _runs(text):
    return RUN.findall(unicodedata.normalize("NFKC", text or "").lower())


def joint(left, right):
    """The term of the joint between two runs that follow each other in a text, when either
    is of letters or digits: the left's last character or whole word, ``JOINT``, the right's
    first character or whole word (发〔2023〕27号: 发_2023, 2023_27, 27_号); None between two
    Chinese runs, whose pairs already find them."""
    if not (left[0].isascii() or right[0].isascii()):
        return None
    return (
        (left if left[0].isascii() else left[-1])
        + JOINT
        + (right if right[0].isascii() else right[0])
    )


def ranked_terms(text):
    """The index terms of ``text``: ``terms``, each Chinese run of several characters followed
    by its last character alone, and the joint (``joint``) before a run where there is one."""
    found = []
    runs = _runs(text)
    for index, run in enumerate(runs):
        if index and (between := joint(runs[index - 1], run)):
            found.append(between)
        if run[0].isascii() or len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
            found.append(run[-1])
    return found


def folded(text):
    """``text`` as the index reads it: its runs, one space between and around them."""
    return " " + " ".join(_runs(text)) + " "


@dataclass(frozen=True)
class Phrase:
    """A word as the index finds it: its terms in order (the last perhaps a prefix), and the
    substring of a folded text (``folded``) that finds it there."""

    terms: tuple
    prefix: bool = False
    pattern: str = ""

    def marked(self, mark):
        """The word as a field's terms (its pattern is of no use there)."""
        return Phrase(tuple(mark + term for term in self.terms), self.prefix)


def phrase(word):
    """The phrase that finds ``word`` anywhere in a text; None if it has nothing searchable.

    A run of several Chinese characters inside the word ends where the text's run ends
    too (the word goes on with a digit, a letter or a mark), so its last character alone
    follows its pairs; the word's last run may go on in the text, so it does not.
    """
    runs = _runs(word)
    if not runs:
        return None
    found, last = [], len(runs) - 1
    for index, run in enumerate(runs):
        between = joint(runs[index - 1], run) if index else None
        if between:
            found.append(between)
        if index == last and between and len(run) == 1 and not run.isascii():
            # 27号, A股: the joint (27_号) already says the text's run begins with it and
            # may go on (27号文); the character alone would be a term only where it ends.
            continue
        if run[0].isascii() or len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
            if index < last:
                found.append(run[-1])
    # A word of one Chinese character: any term it begins (a prefix). One ending a longer
    # word after another Chinese run (企业，税) is the term of a run's last character: found
    # where the text's run ends there too; expanding a prefix as common as a character
    # would read every term it begins.
    alone = len(runs) == 1 and not runs[0].isascii() and len(runs[0]) == 1
    # In folded text: letters and digits are whole runs (a space on their side); a run's
    # last character alone, after a Chinese run, ends its run.
    pattern = " ".join(runs)
    if runs[0].isascii():
        pattern = " " + pattern
    if runs[-1].isascii() or (len(runs) > 1 and len(runs[-1]) == 1 and not runs[-2][0].isascii()):
        pattern += " "
    return Phrase(tuple(found), prefix=alone, pattern=pattern)


def period(key):
    """The period of a key: its recency's, ``PERIOD_SHIFT`` bits coarser."""
    return key >> (ID_BITS + PERIOD_SHIFT)


def period_term(number):
    return f"{PERIOD_MARK}{number}"


@dataclass
class Document:
    """What a ``RankedIndex`` keeps of one object.

    ``recency`` orders equals (larger is newer: a date's ordinal, say), 0 to 2**31 - 1;
    ``text`` is everything its words are found in; ``fields`` maps a letter to a field's
    text (the rank field's, and any a filter looks in); ``tags`` are filter values.
    """

    id: int
    recency: int
    text: str
    fields: dict = field(default_factory=dict)
    tags: tuple = ()

    @property
    def key(self):
        return (min(max(self.recency, 0), MOST_RECENCY) << ID_BITS) | self.id

    def marks(self):
        """The fields' terms behind their marks, and the tags (every document has ``ALL_TAG``)."""
        found = []
        for letter, text in self.fields.items():
            found.extend(FIELD_MARK + letter + term for term in ranked_terms(text))
        found.extend(TAG_MARK + tag for tag in (ALL_TAG, *self.tags))
        return found


@dataclass
class Query:
    """Documents with every word in their text, every ``fields`` word in its field, every tag
    of ``tags``, none of ``without``, and a recency of at least ``since``."""

    words: tuple = ()
    fields: dict = field(default_factory=dict)
    tags: tuple = ()
    without: tuple = ()
    since: int | None = None

    def phrases(self):
        return [found for found in map(phrase, self.words) if found is not None]

    def filters(self):
        """The field phrases and tags every match has (an empty field word filters nothing)."""
        found = [
            found.marked(FIELD_MARK + letter)
            for letter, words in self.fields.items()
            for found in map(phrase, words)
            if found is not None
        ]
        return found + [Phrase((TAG_MARK + tag,)) for tag in self.tags]

    @property
    def smallest_key(self):
        return None if self.since is None else min(max(self.since, 0), MOST_RECENCY) << ID_BITS


class _Expression:
    """Boolean expressions over phrases: an FTS5 MATCH, or a PostgreSQL tsquery."""

    def __init__(self, vendor):
        self.postgresql = vendor == "postgresql"

    def phrase(self, found):
        """The phrase itself (on PostgreSQL: positions, for ``marks``)."""
        if self.postgresql:
            parts = [f"'{term}'" for term in found.terms]
            if found.prefix:
                parts[-1] += ":*"
            return "(" + " <-> ".join(parts) + ")"
        return '"' + " ".join(found.terms) + '"' + ("*" if found.prefix else "")

    def terms(self, found):
        """PostgreSQL: the phrase's terms wherever they stand (for ``terms``, without positions)."""
        parts = [f"'{term}'" for term in dict.fromkeys(found.terms)]
        if found.prefix:
            parts[-1] += ":*"
        return self.all(parts)

    def all(self, items):
        return self._join(items, " & " if self.postgresql else " AND ")

    def any(self, items):
        return self._join(items, " | " if self.postgresql else " OR ")

    def _join(self, items, operator):
        items = [item for item in items if item]
        if not items:
            return ""
        return items[0] if len(items) == 1 else "(" + operator.join(items) + ")"


@dataclass
class _Tier:
    """One tier of a query: which documents, by their rank field and their words.

    ``title`` is "all" (the rank field holds every word), "some" (some, not all), "none"
    (none), or "" (no condition on it: the count, or a query without words).
    """

    title: str = ""


# The tiers of a query, best first, by its number of words.
def _tiers(words):
    if not words:
        return [_Tier()]
    return [_Tier("all"), *([_Tier("some")] if words > 1 else []), _Tier("none")]


class RankedIndex:
    """Documents found by words and filters, ranked by tiers, newest first within a tier.

    ``rank_field`` is the letter of the field whose words rank a document first (its
    title). The table is created by a migration (``create``); documents are put in
    (again, when they change) with ``put`` and taken out with ``remove``.
    """

    def __init__(self, table, *, rank_field="t"):
        self.table = table
        self.rank_field = rank_field
        self._kept = {}  # (database alias, figure): (until when, value); see ``_figure``

    @property
    def rows_table(self):
        """SQLite only: the terms each document was given, to take it out again."""
        return f"{self.table}_rows"

    # --- schema (called from migrations) -----------------------------------------------

    def create(self, schema_editor):
        quote = schema_editor.quote_name
        table = quote(self.table)
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TABLE {table} (id bigint PRIMARY KEY, key bigint NOT NULL, "
                "terms tsvector NOT NULL, marks tsvector NOT NULL, text text NOT NULL)"
            )
            # The folded text is read by the row's checks: kept in the row, compressed, if
            # it fits there (with lz4 where the server has it: quicker to read back).
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN text SET STORAGE MAIN")
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                    "WHERE name = 'default_toast_compression'"
                )
                if cursor.fetchone()[0]:
                    schema_editor.execute(
                        f"ALTER TABLE {table} ALTER COLUMN text SET COMPRESSION lz4"
                    )
            schema_editor.execute(
                f"CREATE UNIQUE INDEX {quote(self.table + '_key')} ON {table} (key)"
            )
            schema_editor.execute(self._gin(quote))
        else:
            schema_editor.execute(self._fts5(table))
            schema_editor.execute(
                f"CREATE TABLE {quote(self.rows_table)} (id integer PRIMARY KEY, "
                "key integer NOT NULL, terms blob NOT NULL)"
            )

    @staticmethod
    def _fts5(table):
        """SQLite: the terms' table. "_" is a term's character: the fields' and tags' marks
        stay part of their terms; a term is also kept under its first character."""
        return (
            f"CREATE VIRTUAL TABLE {table} USING fts5(terms, content='', columnsize=0, "
            "prefix='1', tokenize=\"unicode61 tokenchars '_'\")"
        )

    def rebuild(self, schema_editor):
        """SQLite: the terms' table made again as ``create`` makes it now, from the terms the
        side table keeps (a migration's, when ``_fts5`` changes); PostgreSQL: nothing to do."""
        connection = schema_editor.connection
        if connection.vendor == "postgresql":
            return
        quote = schema_editor.quote_name
        table, fresh = quote(self.table), quote(self.table + "_fresh")
        connection.ensure_connection()
        connection.connection.create_function(
            "qitong_terms", 1, lambda terms: zlib.decompress(terms).decode(), deterministic=True
        )
        schema_editor.execute(f"DROP TABLE IF EXISTS {fresh}")
        schema_editor.execute(self._fts5(fresh))
        schema_editor.execute(
            f"INSERT INTO {fresh} ({fresh}, rank) VALUES ('hashsize', %s)", [FILL_HASH]
        )
        schema_editor.execute(
            f"INSERT INTO {fresh} (rowid, terms) "
            f"SELECT key, qitong_terms(terms) FROM {quote(self.rows_table)}"
        )
        schema_editor.execute(f"INSERT INTO {fresh} ({fresh}) VALUES ('optimize')")
        schema_editor.execute(
            f"INSERT INTO {fresh} ({fresh}, rank) VALUES ('hashsize', %s)", [HASH]
        )
        schema_editor.execute(f"DROP TABLE {table}")
        schema_editor.execute(f"ALTER TABLE {fresh} RENAME TO {table}")

    def _lay_out(self, cursor, quote):
        """PostgreSQL, after a fill without the GIN index: the rows put in key order (a
        window's rows, and their places in the GIN index's lists, then lie together: reading
        the newest documents' candidates decodes a few stretches of each term's list instead
        of one here and there for each candidate), the GIN index built, the table analysed.
        New documents, the newest, are added at the end and keep that order."""
        table = quote(self.table)
        cursor.execute(f"SET maintenance_work_mem = '{FILL_MEMORY}'")
        cursor.execute(f"CLUSTER {table} USING {quote(self.table + '_key')}")
        cursor.execute(self._gin(quote))
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute(f"ANALYZE {table}")

    def _gin(self, quote):
        index = quote(f"{self.table}_terms")
        return f"CREATE INDEX {index} ON {quote(self.table)} USING gin (terms)"

    def add_periods(self, schema_editor):
        """PostgreSQL: give the documents indexed before periods (``PERIOD_MARK``) their
        period's term, then lay the rows out again (``_lay_out``); SQLite: nothing to do."""
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        table = quote(self.table)
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(f'{self.table}_terms')}")
        schema_editor.execute(
            f"UPDATE {table} SET terms = terms || "
            "array_to_tsvector(ARRAY[%s || (key >> %s)::text])",
            [PERIOD_MARK, ID_BITS + PERIOD_SHIFT],
        )
        with connection.cursor() as cursor:
            self._lay_out(cursor, quote)

    def drop(self, schema_editor):
        for table in (self.rows_table, self.table):
            schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(table)}")

    # --- writing -----------------------------------------------------------------------

    def _rows(self, documents, vendor):
        """Each document as the row its table keeps."""
        for document in documents:
            text, marks = ranked_terms(document.text), document.marks()
            if vendor == "postgresql":
                yield (
                    document.id,
                    document.key,
                    " ".join(
                        f"'{term}'"
                        for term in dict.fromkeys(
                            [*text, *marks, period_term(period(document.key))]
                        )
                    ),
                    _tsvector(marks),
                    folded(document.text),
                )
            else:
                yield document.id, document.key, " ".join(text + marks)

    def put(self, documents, connection=None):
        """Index ``documents``, replacing what the index had of each."""
        connection = connection or default_connection
        documents = list(documents)
        if not documents:
            return
        self.remove([document.id for document in documents], connection=connection)
        self.add(documents, connection=connection)

    def add(self, documents, connection=None):
        """Index ``documents`` that the index does not have yet (a first fill)."""
        connection = connection or default_connection
        quote = connection.ops.quote_name
        table = quote(self.table)
        rows = list(self._rows(documents, connection.vendor))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                columns = "(id, key, terms, marks, text)"
                with cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            cursor.executemany(
                f"INSERT INTO {table} (rowid, terms) VALUES (%s, %s)",
                [(key, text) for _id, key, text in rows],
            )
            cursor.executemany(
                f"INSERT INTO {quote(self.rows_table)} (id, key, terms) VALUES (%s, %s, %s)",
                [(pk, key, zlib.compress(text.encode())) for pk, key, text in rows],
            )

    @contextmanager
    def filling(self, connection=None):
        """Around a first fill of many documents (``add`` in batches, each committed as the
        caller likes): PostgreSQL lays the rows out in key order and builds its GIN index
        once, after them (``_lay_out``); SQLite writes larger segments meanwhile and merges
        them into one at the end.
        """
        connection = connection or default_connection
        quote = connection.ops.quote_name
        table = quote(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP INDEX IF EXISTS {quote(f'{self.table}_terms')}")
            else:
                cursor.execute(
                    f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', %s)", [FILL_HASH]
                )
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self._lay_out(cursor, quote)
            else:
                cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                cursor.execute(
                    f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', %s)", [HASH]
                )

    def clear(self, connection=None):
        """Take every document out (before indexing them all again)."""
        connection = connection or default_connection
        quote = connection.ops.quote_name
        table = quote(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {table}")
                return
            # Debian's SQLite zeroes every page it frees (SECURE_DELETE), each one written to
            # the log: emptying a library of 1,500,000 policies wrote 12 GB of zeroes before
            # its first new term. The same terms are indexed again at once, so the zeroes hide
            # nothing: pages are zeroed here only where that costs no writing ("FAST").
            cursor.execute("PRAGMA secure_delete")
            (secure,) = cursor.fetchone()
            cursor.execute("PRAGMA secure_delete = FAST")
            try:
                cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")
                cursor.execute(f"DELETE FROM {quote(self.rows_table)}")
            finally:
                cursor.execute(f"PRAGMA secure_delete = {int(secure)}")

    def remove(self, ids, connection=None):
        """Take the documents ``ids`` out of the index (an id it does not have is no matter)."""
        connection = connection or default_connection
        ids = list(ids)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                if connection.vendor == "postgresql":
                    cursor.execute(f"DELETE FROM {quote(self.table)} WHERE id IN ({marks})", chunk)
                    continue
                rows = quote(self.rows_table)
                cursor.execute(f"SELECT key, terms FROM {rows} WHERE id IN ({marks})", chunk)
                old = cursor.fetchall()
                if not old:
                    continue
                table = quote(self.table)
                cursor.executemany(
                    f"INSERT INTO {table} ({table}, rowid, terms) VALUES ('delete', %s, %s)",
                    [(key, zlib.decompress(terms).decode()) for key, terms in old],
                )
                cursor.execute(f"DELETE FROM {rows} WHERE id IN ({marks})", chunk)

    # --- reading -----------------------------------------------------------------------

    def count(self, query, at_most, connection=None):
        """How many documents match ``query``, counting no further than ``at_most``."""
        connection = connection or default_connection
        with self._reading(connection) as cursor:
            return self._count(cursor, connection.vendor, query, at_most)

    def window(self, query, stop, connection=None, *, few=False):
        """The ids of the first ``stop`` documents matching ``query``, best and newest first.

        ``few``: the caller counted the matches and they are few (at most ``SPARSE``); on
        PostgreSQL every tier is then read sparse.
        """
        connection = connection or default_connection
        vendor = connection.vendor
        found = []
        with self._reading(connection) as cursor:
            # PostgreSQL: the key of the DENSE_ROWS-th newest document. Each tier is read
            # dense among the documents from it on (at most that many rows checked), then, if
            # the page is not full, sparse among the older: a tier that few of the newest hold
            # is rare enough to have few candidates.
            newest = None
            if vendor == "postgresql" and not few:
                newest = self._newest(cursor)
            for tier in _tiers(len(query.phrases())):
                if vendor != "postgresql":
                    parts = [{}]
                elif few:
                    parts = [{"sparse": True}]
                elif newest is None:  # no more than DENSE_ROWS documents in all
                    parts = [{}]
                elif not self._expects(cursor, query, tier, stop - len(found)):
                    # The newest would not fill the page.
                    parts = self._windows(cursor, floor=query.smallest_key)
                else:
                    parts = [
                        {"low": newest},
                        *self._windows(cursor, below=newest, floor=query.smallest_key),
                    ]
                while parts:
                    part, *parts = parts
                    sql, params = self.select(vendor, query, tier, **part)
                    cursor.execute(f"{sql} LIMIT %s", [*params, stop - len(found)])
                    got = cursor.fetchall()
                    found.extend(key & ID_MASK for (key,) in got)
                    if len(found) >= stop:
                        return found
                    parts = self._rest(cursor, part, parts, len(got), stop - len(found))
        return found

    def _rest(self, cursor, done, parts, got, wanted):
        """PostgreSQL: the readings left after ``done`` found ``got``. If at its rate what is
        left would not hold the ``wanted`` still missing (a question that matches few), one
        sparse reading of all the older: each window would find next to nothing and the rest
        be read all the same (the document number at 1,500,000 policies: 20 ms of windows).
        After the newest ``DENSE_ROWS`` documents' reading, what is left is all the others;
        after a window's, the windows still to come, by their periods (企业 with an issuer at
        1,500,000 policies: four windows and the rest took 28 ms, one reading of its 6,135
        candidates 17.5). Else ``parts``."""
        if not parts:
            return parts
        newest = self._newest(cursor)
        if newest is None:
            return parts
        if done.get("low") == newest:
            documents = self._documents(cursor)
            if documents <= 0 or got * documents >= wanted * DENSE_ROWS:
                return parts
            return [{"sparse": True, "high": newest}]
        if not done.get("periods"):
            return parts
        ahead = sum(len(part["periods"]) for part in parts if part.get("periods"))
        if got * ahead >= wanted * len(done["periods"]):
            return parts
        return [{"sparse": True, "high": done["low"]}]

    def _windows(self, cursor, *, below=None, floor=None):
        """PostgreSQL: a tier's sparse readings, newest first, from ``below`` down (the dense
        reading had the newer keys) or from the newest: the newest ``DENSE_ROWS`` documents'
        periods, then the ``WINDOW_PERIODS`` before, each read through its periods' terms;
        then all the older, without, or, down to ``floor`` (a query's smallest key), with
        theirs too."""
        newest = self._newest(cursor)
        if newest is None:  # a small table: one reading
            return [{"sparse": True, "high": below}]
        parts, high = [], below
        if below is None:
            parts.append(self._window(newest, None, self._newest(cursor, 1)))
            high = newest
        for periods in WINDOW_PERIODS:
            low = max(period(high) - periods, 0) << (ID_BITS + PERIOD_SHIFT)
            if low >= high or (floor is not None and high <= floor):
                break
            parts.append(self._window(low, high, high - 1))
            high = low
        if floor is None:
            return [*parts, {"sparse": True, "high": high}]
        return [*parts, self._window(floor, high, high - 1)] if high > floor else parts

    @staticmethod
    def _window(low, high, last):
        """A sparse reading of the keys from ``low`` to below ``high`` (None: no end), the
        newest of them ``last``: through their periods' terms, unless they are too many."""
        periods = range(period(low), period(last) + 1)
        return {
            "sparse": True,
            "low": low,
            "high": high,
            "periods": periods if len(periods) <= MOST_PERIODS else None,
        }

    def _figure(self, cursor, name, read, *, settled=lambda value: True):
        """PostgreSQL: a figure of the table, ``read(cursor)``, kept for ``NEWEST_SECONDS`` per
        database: a figure a little off only moves where a reading stops or starts. A figure
        that is not ``settled`` yet is read again next time instead of kept."""
        key, now = (cursor.db.alias, name), time.monotonic()
        cached = self._kept.get(key)
        if cached is None or cached[0] < now:
            value = read(cursor)
            if not settled(value):
                self._kept.pop(key, None)
                return value
            cached = self._kept[key] = (now + NEWEST_SECONDS, value)
        return cached[1]

    def _newest(self, cursor, rows=None):
        """PostgreSQL: the key of the ``rows``-th newest document (``DENSE_ROWS``; None if
        fewer), read off the key's btree."""
        rows = rows or DENSE_ROWS

        def read(cursor):
            cursor.execute(
                f'SELECT key FROM "{self.table}" ORDER BY key DESC OFFSET %s LIMIT 1', [rows - 1]
            )
            row = cursor.fetchone()
            return row and row[0]

        return self._figure(cursor, ("newest", rows), read)

    def _documents(self, cursor):
        """PostgreSQL: how many documents the table's statistics count (-1 if never analysed)."""

        def read(cursor):
            return bulk.counted_rows(cursor, self.table)

        # Not kept while the table was never analysed (-1): its first statistics, once
        # autovacuum takes them, are used at once rather than minutes later.
        return self._figure(cursor, "documents", read, settled=lambda documents: documents > 0)

    @contextmanager
    def _reading(self, connection):
        """A cursor for a search. On PostgreSQL in a transaction of its own, with the memory its
        bitmaps need and no sequential scan: the plan, along an index, is chosen here. (On
        SQLite a transaction would begin IMMEDIATE and wait for the writers.)"""
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                yield cursor
            return
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SET LOCAL work_mem = '{SEARCH_MEMORY}'; SET LOCAL enable_seqscan = off"
            )
            yield cursor

    def _count(self, cursor, vendor, query, at_most):
        """Matches up to ``at_most``. PostgreSQL reads a common query's newest documents first
        (``_expects``): its count is reached among them, where its GIN bitmap would hold
        every match of a word most documents have; then, if it is not, the older sparse."""
        found, high = 0, None
        newest = self._newest(cursor) if vendor == "postgresql" else None
        if newest is not None and self._expects(cursor, query, _Tier(), at_most):
            sql, params = self.select(vendor, query, _Tier(), low=newest, ordered=False)
            cursor.execute(f"SELECT count(*) FROM ({sql} LIMIT %s) found", [*params, at_most])
            found, high = cursor.fetchone()[0], newest
            if found >= at_most:
                return found
        parts = [{"sparse": True}]
        if newest is not None:
            parts = self._windows(cursor, below=high, floor=query.smallest_key)
        while parts:
            part, *parts = parts
            sql, params = self.select(vendor, query, _Tier(), ordered=False, **part)
            cursor.execute(
                f"SELECT count(*) FROM ({sql} LIMIT %s) found", [*params, at_most - found]
            )
            got = cursor.fetchone()[0]
            found += got
            if found >= at_most:
                break
            parts = self._rest(cursor, part, parts, got, at_most - found)
        return found

    def _expects(self, cursor, query, tier, wanted):
        """PostgreSQL: whether the planner expects ``wanted`` matches of ``query``'s ``tier``
        among the ``DENSE_ROWS`` newest documents (its estimate of the tier's GIN candidates,
        from the table's statistics, against the table's size); False without statistics,
        so that the reading is sparse, as it was before any estimate."""
        if any(found.prefix for found in query.phrases()):
            # The planner cannot weigh a prefix (a word of one character): count the tier's
            # matches among the newest few instead, a reading of SAMPLE_ROWS rows at most.
            low = self._newest(cursor, SAMPLE_ROWS)
            if low is None:
                return False
            sql, params = self.select("postgresql", query, tier, low=low, ordered=False)
            cursor.execute(f"SELECT count(*) FROM ({sql}) sample", params)
            # Read sparse, a prefix of the text's terms costs the GIN index a bitmap of every
            # document with any term it begins, whatever the window: dense if it may fill.
            margin = DENSE_MARGIN if tier.title == "all" else 1
            return cursor.fetchone()[0] * DENSE_ROWS >= wanted * margin * SAMPLE_ROWS
        gin, params = self._candidates("postgresql", query, tier)
        documents = self._documents(cursor)
        if documents <= 0:  # never analysed (-1) or empty
            return False
        if not gin:  # nothing to look up: every document is a candidate
            return True
        cursor.execute(f'EXPLAIN (FORMAT JSON) SELECT 1 FROM "{self.table}" WHERE {gin}', params)
        expected = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
        return expected * DENSE_ROWS >= wanted * DENSE_MARGIN * documents

    def _candidates(self, vendor, query, tier, periods=None):
        """PostgreSQL: the tier's condition on ``terms`` (exact for single terms and tags, a
        superset for phrases), in ``periods`` if given, with its parameters; "" if it has
        none to give."""
        write = _Expression(vendor)
        phrases = query.phrases()
        titles = [write.terms(found.marked(FIELD_MARK + self.rank_field)) for found in phrases]
        if tier.title == "all":
            phrases = [found.marked(FIELD_MARK + self.rank_field) for found in phrases]
        positive = write.all([write.terms(found) for found in [*phrases, *query.filters()]])
        if periods:
            positive = write.all([positive, write.any([f"'{period_term(n)}'" for n in periods])])
        if not positive:
            return "", []
        exact = [f"!'{TAG_MARK}{tag}'" for tag in query.without]
        if all(len(found.terms) == 1 for found in query.phrases()):  # titles exact too
            every, some = write.all(titles), write.any(titles)
            exact.append({"some": f"{some} & !{every}", "none": f"!{some}"}.get(tier.title, ""))
        return "terms @@ %s::tsquery", [write.all([positive, *exact])]

    def select(
        self, vendor, query, tier, *, sparse=False, ordered=True, low=None, high=None, periods=None
    ):
        """``SELECT key FROM … WHERE … [ORDER BY key DESC]`` for one tier of ``query``.

        SQLite: one MATCH. PostgreSQL: ``sparse`` reads the tier's candidates through the
        GIN index and sorts them; otherwise along the key's btree, newest first. Either way
        each row is checked on its small columns: its words in ``text``, its fields, title
        and tags in ``marks``.
        """
        write = _Expression(vendor)
        phrases = query.phrases()
        filters = [write.phrase(found) for found in query.filters()]
        titles = [write.phrase(found.marked(FIELD_MARK + self.rank_field)) for found in phrases]
        every, some = write.all(titles), write.any(titles)
        words = write.all([write.phrase(found) for found in phrases]) if phrases else ""
        table = f'"{self.table}"'
        if vendor != "postgresql":
            positive, negative = {
                "": (words, []),
                "all": (every, []),
                "some": (write.all([words, some]), [every]),
                "none": (words, [some]),
            }[tier.title]
            negative += [write.phrase(Phrase((TAG_MARK + tag,))) for tag in query.without]
            positive = write.all([positive, *filters]) or write.phrase(
                Phrase((TAG_MARK + ALL_TAG,))
            )
            match = positive
            if negative := write.any(negative):
                match = f"{positive} NOT {negative}"
            conditions, params = [f"{table} MATCH %s"], [match]
            if query.since is not None:
                conditions.append("rowid >= %s")
                params.append(query.smallest_key)
            order = " ORDER BY rowid DESC" if ordered else ""
            return f"SELECT rowid FROM {table} WHERE {' AND '.join(conditions)}{order}", params
        title = {
            "": "",
            "all": every,
            "some": write.all([some, f"!{every}" if every else ""]),
            "none": f"!{some}" if some else "",
        }[tier.title]
        without = [f"!'{TAG_MARK}{tag}'" for tag in query.without]
        conditions, params = [], []
        marks = [title, *filters, *without]
        if sparse:
            gin, params = self._candidates(vendor, query, tier, periods)
            if gin:  # left to check on the row: what the GIN index cannot tell (phrases)
                conditions.append(gin)
                single = all(len(found.terms) == 1 for found in phrases)
                marks = [
                    "" if single else title,
                    *(write.phrase(found) for found in query.filters() if len(found.terms) > 1),
                ]
        # Keys from ``low`` (and ``since``) and below ``high``; read sparse, not along the
        # key's btree ("key + 0"), which would read every row of the range.
        key = "key + 0" if sparse else "key"
        low = max(value for value in (low, query.smallest_key, -1) if value is not None)
        if low >= 0:
            conditions.append(f"{key} >= %s")
            params.append(low)
        if high is not None:
            conditions.append(f"{key} < %s")
            params.append(high)
        texts, patterns = [], []
        if tier.title != "all":  # a title holding the words has them in the text
            for found in phrases:
                if len(found.terms) > 1 or not sparse:  # else the GIN index was exact
                    texts.append("strpos(text, %s) > 0")
                    patterns.append(found.pattern)
        marks = write.all(marks)
        if texts and marks:
            # The text first, then the marks of the rows holding the words. Left to itself the
            # planner checks the marks first (one operator against two), but the text is kept
            # in the row (``STORAGE MAIN``) and the marks mostly in the TOAST table, a lookup
            # of its own: 税's count read the marks of 3,054 rows for 1,001 matches (37 ms; 21
            # ms this way, at 1,500,000 policies).
            conditions.append(f"CASE WHEN {' AND '.join(texts)} THEN marks @@ %s::tsquery END")
            params += [*patterns, marks]
        else:
            conditions += texts
            params += patterns
            if marks:
                conditions.append("marks @@ %s::tsquery")
                params.append(marks)
        where = " AND ".join(condition for condition in conditions if condition) or "TRUE"
        order = (" ORDER BY key + 0 DESC" if sparse else " ORDER BY key DESC") if ordered else ""
        return f"SELECT key FROM {table} WHERE {where}{order}", params


# --- showing what was found ------------------------------------------------------------------

SEPARATORS = rf"[^0-9a-z{HAN}]*"


def _folded(text):
    """``text`` as the index reads it (NFKC, lower case), and where each folded character came
    from when folding changed the length (None: position for position)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) == len(text):
        return folded, None
    pieces, origins = [], []
    for index, char in enumerate(text):
        piece = unicodedata.normalize("NFKC", char).lower()
        pieces.append(piece)
        origins.extend([index] * len(piece))
    return "".join(pieces), origins


def _pattern(words):
    """What the index finds each word as, as one regular expression over folded text: the
    word's runs in order, anything but letters, digits and Chinese between them, a word of
    letters or digits whole."""
    alternatives = sorted(
        (
            ("(?<![0-9a-z])" if runs[0].isascii() else "")
            + SEPARATORS.join(map(re.escape, runs))
            + ("(?![0-9a-z])" if runs[-1].isascii() else "")
            for runs in map(_runs, words)
            if runs
        ),
        key=len,
        reverse=True,
    )
    return re.compile("|".join(alternatives)) if alternatives else None


def highlight(text, words, *, passage=None, lead=20):
    """``text`` as HTML, every place ``words`` are found in ``<mark>``, all else escaped.

    With ``passage`` (a length in characters) only that much is shown, its line breaks as
    spaces: from ``lead`` characters before the first place found (or from the start), with
    "…" where the text was cut.
    """
    text = text or ""
    if passage is not None:
        text = " ".join(text.split())
    pattern = _pattern(words)
    spans = []
    if pattern is not None and text:
        folded, origins = _folded(text)
        for found in pattern.finditer(folded):
            if found.end() == found.start():
                continue
            start, end = found.span()
            if origins is not None:
                start, end = origins[start], origins[end - 1] + 1
            spans.append((start, end))
    begin, end = 0, len(text)
    if passage is not None:
        begin = max(0, spans[0][0] - lead) if spans else 0
        end = min(len(text), begin + passage)
        begin = max(0, min(begin, end - passage))
    out, at = ["…" if begin > 0 else ""], begin
    for start, stop in spans:
        start, stop = max(start, at), min(stop, end)
        if start >= stop:
            continue
        out.append(escape(text[at:start]))
        out.append(f"<mark>{escape(text[start:stop])}</mark>")
        at = stop
    out.append(escape(text[at:end]))
    if end < len(text):
        out.append("…")
    return mark_safe("".join(out))
