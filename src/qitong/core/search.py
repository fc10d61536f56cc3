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
"""

import re
import unicodedata

from django.db import connection as default_connection

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN = re.compile(rf"[0-9a-z]+|[{HAN}]+")
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
