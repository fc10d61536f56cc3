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

``without_jit`` is for the statements such writes are made of when they are large.
"""

from django.db import DEFAULT_DB_ALIAS, connection, connections


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
