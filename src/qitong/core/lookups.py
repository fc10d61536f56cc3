"""Lookups the project registers on Django's fields (``CoreConfig.ready``)."""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerIn(In):
    """``__in`` on an integer column: a value the column cannot hold matches nothing.

    Django's own ``exact``, ``gt`` and the like already treat such a value so
    (``IntegerFieldOverflow``); its ``in`` hands it to the driver, and SQLite's overflows
    (``OverflowError``): a server error for a choice of 10**30 posted by hand to any form
    with a multiple choice of rows. (PostgreSQL compares such a number as a numeric and
    finds nothing: the same answer, now reached without asking it.)
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            try:
                low, high = connection.ops.integer_field_range(
                    self.lhs.output_field.get_internal_type()
                )
            except KeyError:  # a column type the backend gives no range for
                low = high = None
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register():
    IntegerField.register_lookup(IntegerIn)
