"""core.bulk: the JIT switch for large statements (its other helpers are tested through the
policy push, tests/policies/test_push.py)."""

import pytest
from django.db import connection, transaction

from qitong.core import bulk


def _jit():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_without_jit_holds_for_its_transaction_only_and_is_refused_outside_one():
    if connection.vendor != "postgresql":
        with transaction.atomic():
            bulk.without_jit()  # nothing to switch off on SQLite
        return
    before = _jit()
    with transaction.atomic():
        bulk.without_jit()
        assert _jit() == "off"
    assert _jit() == before
    with pytest.raises(RuntimeError, match="atomic"):
        bulk.without_jit()
    assert _jit() == before
