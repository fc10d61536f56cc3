"""Gap-free yearly numbers such as ``QT-2026-000123``, taken as late as possible.

A gap-free number can only come from a counter row that each filing updates
and that stays locked until the filing commits: a second filing waits for the
first's commit, and a filing that rolls back gives its number back with it.
So the number is taken last. The caller writes its rows first with a
placeholder where the digits will go (``placeholder()``, unique and never
committed), then ``take_last`` bumps the counter and puts the digits in place
of the placeholder in the columns that hold it, just before the commit. On
PostgreSQL that is one statement, so the counter's lock spans that statement
and the commit, not the filing's other writes; SQLite lets one writer in at a
time anyway, so there it is a statement per column.

On PostgreSQL a filing that is its own transaction also sends that statement
and its COMMIT together (``commit_with_number``, psycopg's pipeline mode): the
lock is then held for the server's work alone, not also for a round trip and
for the web worker's thread to get Python's lock back between the two, which
under load is what held every other filing up.
"""

import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from qitong.core.models import Counter

DIGITS = 6


def next_value(name):
    """The next value of the named counter; call inside the caller's transaction.

    The counter stays locked until that transaction ends: take it last.
    """
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(_UPSERT.format(table=_counter_table()), [name])
        return cursor.fetchone()[0]


def placeholder():
    """A unique stand-in for the digits of a number not taken yet.

    Twelve lowercase letters and digits starting with a letter: it fits where
    the digits go (``QT-2026-`` + 12 < 20 characters), it is one term of the
    full-text index as the digits are, and two filings never draw the same.
    """
    return "n" + secrets.token_hex(6)[:11]


@dataclass(frozen=True)
class Spot:
    """Where a placeholder was written: a text column of some rows of a table.

    ``cast`` names the column's type when it is not text (PostgreSQL's
    ``tsvector``): its text form holds the placeholder as one term, replaced
    the same way and read back into that type.
    """

    table: str
    column: str
    ids: tuple
    cast: str = ""


@contextmanager
def commit_with_number():
    """Around a transaction that ends with ``take_last``: its COMMIT goes with the number.

    Only for an outermost transaction on PostgreSQL (elsewhere it does
    nothing): the statements inside run in psycopg's pipeline mode, where each
    one that returns rows still waits for them, but the number's statement,
    whose result ``Taken.number`` reads after the commit, is followed at once
    by the COMMIT instead of a wait for its answer.
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


class Taken:
    """A number taken by ``take_last``; ``number`` reads it (on PostgreSQL, once sent)."""

    def __init__(self, prefix, year, *, digits=None, cursor=None):
        self.prefix, self.year = prefix, year
        self._digits, self._cursor = digits, cursor

    @property
    def number(self):
        if self._digits is None:
            self._digits = self._cursor.fetchone()[0]
            self._cursor.close()
        return f"{self.prefix}-{self.year}-{self._digits}"


def take_last(prefix, year, token, spots):
    """Take the next number of ``prefix`` for ``year`` and write it where ``token`` stands.

    Call last in the caller's transaction, right before it commits: from here
    to the commit every other filing of the year waits. Returns a ``Taken``;
    under ``commit_with_number`` read its number after the commit.
    """
    connection = transaction.get_connection()
    name = f"{prefix}-{year}"
    spots = [spot for spot in spots if spot.ids]
    if connection.vendor == "postgresql":
        # Not closed here: in pipeline mode the result comes with the COMMIT.
        cursor = connection.cursor()
        _take_in_one_statement(cursor, name, token, spots)
        return Taken(prefix, year, cursor=cursor)
    digits = f"{next_value(name):0{DIGITS}d}"
    with connection.cursor() as cursor:
        for spot in spots:
            cursor.execute(_replace(connection, spot, "%s"), [token, digits, *spot.ids])
    return Taken(prefix, year, digits=digits)


# A year's first number inserts the row at 1; the others add 1. Either way the
# row stays locked until the transaction ends, and RETURNING saves a read.
_UPSERT = (
    "INSERT INTO {table} (name, value) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = {table}.value + 1 RETURNING value"
)


def _counter_table():
    return transaction.get_connection().ops.quote_name(Counter._meta.db_table)


def _replace(connection, spot, digits, *, source=""):
    """``UPDATE`` of one spot: ``digits`` (SQL) in place of the token (the first parameter)."""
    table, column = (connection.ops.quote_name(spot.table), connection.ops.quote_name(spot.column))
    value = (
        f"replace({column}::text, %s, {digits})::{spot.cast}"
        if spot.cast
        else (f"replace({column}, %s, {digits})")
    )
    ids = ", ".join(["%s"] * len(spot.ids))
    return f"UPDATE {table} SET {column} = {value}{source} WHERE {table}.id IN ({ids})"


def _take_in_one_statement(cursor, name, token, spots):
    """PostgreSQL: bump the counter and fill every spot in one statement (its row: the digits).

    Each data-modifying ``WITH`` part runs exactly once, whether or not the
    final ``SELECT`` reads it; the digits are padded as ``DIGITS`` says.
    """
    connection = transaction.get_connection()
    upsert = _UPSERT.format(table=_counter_table()).removesuffix("value")
    parts = [
        f"taken AS ({upsert}lpad(value::text, greatest({DIGITS}, length(value::text)), '0') AS digits)"
    ]
    params = [name]
    for index, spot in enumerate(spots):
        parts.append(
            f"spot{index} AS ({_replace(connection, spot, 'taken.digits', source=' FROM taken')})"
        )
        params += [token, *spot.ids]
    cursor.execute(f"WITH {', '.join(parts)} SELECT digits FROM taken", params)
