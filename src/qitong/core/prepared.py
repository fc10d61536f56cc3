"""Prepared statements on PostgreSQL, for the few paths every request or filing takes.

Django binds a statement's values into its text on the client (psycopg's
``ClientCursor``), so PostgreSQL parses and plans every statement anew: for a
filing's ten statements about half of the server's CPU (1.6 of 3.4 ms,
docs/benchmarks.md, "prepared statements"). Inside ``prepared_statements()``
the connection's cursors bind the values on the server (psycopg's ``Cursor``)
and a statement the connection runs for the fifth time is prepared: parsed and
planned once, run by name after.

Only inside, not for every statement: a statement bound on the server carries at
most 65,535 values, and Django neither splits an ``__in`` of a longer list nor
(on PostgreSQL) the rows of a ``bulk_create``, as client-side binding never
needed; the paths inside have a fixed, small number of values. Off with
``QITONG_DATABASE_PREPARED=false``, for a pooler in transaction mode that cannot
keep prepared statements (PgBouncer before 1.21).
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor

# psycopg prepares a statement the fifth time a connection runs it (its default).
PREPARE_THRESHOLD = 5


@contextmanager
def prepared_statements():
    """Within: the default connection binds on the server and prepares what repeats."""
    if connection.vendor != "postgresql" or not settings.QITONG_DATABASE_PREPARED:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory, raw.prepare_threshold = ServerBindingCursor, PREPARE_THRESHOLD
    try:
        yield
    finally:
        raw.cursor_factory, raw.prepare_threshold = saved
