"""Plain multi-row inserts for the few places that write thousands of rows at once, and
for append-only rows of every request that nothing reads back (the audit trail's).

Django's ``bulk_create`` builds a model instance per row and compiles every
value through the query compiler: at the sweep's 20,000 urges a day (an event
and a message each) that Python work costs several times the writes
themselves. ``insert_rows`` takes plain tuples, prepares each value with its
field (``get_db_prep_save``, so dates, JSON and the like are stored exactly as
the ORM stores them), fills every other column with its field's default, and
writes them as multi-row INSERTs: up to 500 rows a statement, fewer where the
backend caps the parameters of one statement (SQLite: 999). One statement per
row, even pipelined, costs PostgreSQL a parse each: 40,000 of them took
longer than the sweep's whole budget.

For the runs that write millions of rows: ``without_jit`` (PostgreSQL compiles no large
statement), ``analyse_if_stale`` (the planner learns of the rows before they are read
back) and ``checkpoints_beside`` (SQLite's log copied into the database by a thread of its
own while the writer goes on).
"""

import logging
import threading
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

log = logging.getLogger(__name__)


def insert_rows(model, names, rows):
    """Insert ``rows``, tuples of values for the fields ``names`` of ``model``; returns the count.

    The other concrete fields get their defaults (a field without one must be
    named). No model instances, no signals, no primary keys returned: for
    append-only rows that nothing reads back in the same transaction.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in names]
    rest = [
        field for field in meta.concrete_fields if field.name not in names and not field.primary_key
    ]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in rest)
    quote = connection.ops.quote_name
    width = len(given) + len(rest)
    columns = ", ".join(quote(field.column) for field in given + rest)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
    one = "(" + ", ".join(["%s"] * width) + ")"
    per = max(1, min(500, (connection.features.max_query_params or 65535) // width))

    # Most columns repeat a few values (the instant, the kind, the unit): prepare each once.
    caches = [{} for _field in given]

    def prepared(index, value):
        cache = caches[index]
        try:
            return cache[value]
        except KeyError:
            cache[value] = result = given[index].get_db_prep_save(value, connection)
            return result
        except TypeError:  # unhashable (a JSON dict): prepared every time
            return given[index].get_db_prep_save(value, connection)

    params = [
        tuple(prepared(index, value) for index, value in enumerate(row)) + defaults for row in rows
    ]
    if not params:
        return 0
    if connection.vendor == "postgresql":
        # One array a column and unnest: a dozen parameters whatever the row count,
        # where a multi-row VALUES would make thousands for the client to interpolate.
        types = [field.db_type(connection) for field in given + rest]
        arrays = ", ".join(f"%s::{kind}[]" for kind in types)
        with connection.cursor() as cursor:
            cursor.execute(
                f"{head.removesuffix(' VALUES ')} SELECT * FROM unnest({arrays})",
                [list(column) for column in zip(*params, strict=True)],
            )
        return len(params)
    with connection.cursor() as cursor:
        for start in range(0, len(params), per):
            part = params[start : start + per]
            cursor.execute(head + ", ".join([one] * len(part)), [v for row in part for v in row])
    return len(params)


def without_jit(using=None):
    """On PostgreSQL, no JIT compilation for the rest of the current transaction.

    PostgreSQL compiles a statement it estimates costly to machine code before running it
    (``jit_above_cost``), and optimises the code of a costlier one. A statement built of many
    similar branches, as a push batch's ``INSERT … SELECT`` of a hundred policies is, costs
    seconds to compile each time, more than the compiled code saves: a province's backlog of
    1,000 policies took 35.8 s with it and 27.5 s without. Nothing on SQLite; outside a
    transaction it would last for the connection, so it is refused there.
    """
    db = connections[using or DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        return
    if not db.in_atomic_block:
        raise RuntimeError("without_jit() holds for a transaction: call it inside atomic()")
    with db.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")


# The share of a table's rows a run may write before it brings PostgreSQL's statistics of
# them up to date itself: autovacuum's own threshold (``autovacuum_analyze_scale_factor``).
STALE_SHARE = 0.1


def counted_rows(cursor, table):
    """PostgreSQL: how many rows the statistics count in ``table`` (-1 if never analysed)."""
    cursor.execute(
        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
        [cursor.db.ops.quote_name(table)],
    )
    return cursor.fetchone()[0]


def analyse_if_stale(model, written):
    """After a run wrote ``written`` rows of ``model``: on PostgreSQL, if that is more than
    ``STALE_SHARE`` of the rows the planner knows of, analyse the table now.

    A statement reading them right after would otherwise be planned on a table believed
    small or empty until autovacuum's next round (a minute or more): the inbox messages of
    a province's 4 million pushes took 37 s so, instead of 7.
    """
    if connection.vendor != "postgresql" or not written:
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        known = counted_rows(cursor, table)
        if known < 0 or written > STALE_SHARE * known:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# How often the thread beside a SQLite run checkpoints the log (seconds).
CHECKPOINT_EVERY = 0.25


@contextmanager
def checkpoints_beside(name):
    """SQLite: the log checkpointed by a thread of its own (named ``name``) while the
    current connection writes on; nothing elsewhere.

    Each commit of a large batch would otherwise copy the batch's pages from the log into
    the database before the next batch began (``wal_autocheckpoint``): half a second a
    batch for a province's pushes, on the one core the writer uses. A passive checkpoint on
    a second connection copies what is committed, waiting for nobody; the log grows
    meanwhile (1.4 GB against 0.6 for those pushes). The writer's own checkpoints are put
    back afterwards; a writer that dies leaves a longer log, checkpointed by the next
    commit, and nothing else.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (pages,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    done = threading.Event()

    def checkpoint():
        try:
            while not done.wait(CHECKPOINT_EVERY):
                with connection.cursor() as cursor:  # this thread's connection
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except DatabaseError:  # the writer's own checkpoints are back at the end
            log.warning("SQLite checkpoint beside %s failed", name, exc_info=True)
        finally:
            connection.close()

    thread = threading.Thread(target=checkpoint, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(pages)}")
