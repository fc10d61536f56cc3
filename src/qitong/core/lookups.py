"""Lookups the project registers on Django's fields (``CoreConfig.ready``), and the
lookup of one row by a unique value."""

from django.core.exceptions import FieldError
from django.db.models import ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _WithinRange:
    """``__in`` on an integer column, or a foreign key to one: a value the column cannot
    hold matches nothing.

    Django's own ``exact``, ``gt`` and the like already treat such a value so
    (``IntegerFieldOverflow``); its ``in`` hands it to the driver, and SQLite's overflows
    (``OverflowError``): a server error for a choice of 10**30 posted by hand to any form
    with a multiple choice of rows. (PostgreSQL compares such a number as a numeric and
    finds nothing: the same answer, now reached without asking it.)
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            field = self.lhs.output_field
            try:
                field = getattr(field, "target_field", field)  # a foreign key: the key it holds
                low, high = connection.ops.integer_field_range(field.get_internal_type())
            except (FieldError, KeyError):  # a key of several columns; not an integer column
                low = high = None
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


class IntegerIn(_WithinRange, In):
    pass


class RelatedIntegerIn(_WithinRange, RelatedIn):
    pass


def register():
    IntegerField.register_lookup(IntegerIn)
    ForeignObject.register_lookup(RelatedIntegerIn)


def unique_row(queryset, **where):
    """The one row of ``queryset`` that ``where`` (a unique value) names, or None.

    Neither ``first()`` nor a bare slice: both keep the model's default ordering, whose
    ORDER BY Django compiles on every call (0.28 of the 0.62 ms a token's lookup took, on
    every API request) to sort at most one row.
    """
    return next(iter(queryset.filter(**where).order_by()[:1]), None)
