"""Gap-free yearly numbers such as ``QT-2026-000123``."""

from django.db import IntegrityError, models, transaction

from qitong.core.models import Counter


def next_value(name):
    """The next value of the named counter; call inside the caller's transaction.

    The row lock serialises concurrent callers on PostgreSQL; SQLite's
    immediate transactions do the same for the embedded deployment.
    """
    with transaction.atomic():
        updated = Counter.objects.filter(name=name).update(value=models.F("value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Counter.objects.create(name=name, value=1)
                    return 1
            except IntegrityError:
                Counter.objects.filter(name=name).update(value=models.F("value") + 1)
        return Counter.objects.get(name=name).value


def yearly_number(prefix, year):
    return f"{prefix}-{year}-{next_value(f'{prefix}-{year}'):06d}"
