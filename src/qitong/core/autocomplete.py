"""The admin's autocomplete fields, safe to show again with a value that was refused.

Django's ``AutocompleteSelect`` shows a bound form's choice by looking its value up in
the target table: a value that cannot be a key there (``True``, ``abc``, posted by
hand) makes that lookup raise while the page is drawn, a server error where the form
should say its choice is not valid. Here such a value is dropped before the lookup, so
the form shows nothing chosen beside the field's own error. Every admin with ``autocomplete_fields`` inherits ``AutocompleteAdmin``
(tests/test_admin_autocomplete.py checks that none is left out).
"""

from django.contrib.admin import widgets
from django.core.exceptions import ValidationError


class _KeysOnly:
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [item for item in value if self._is_key(item)], attr)

    def _is_key(self, value):
        """Whether ``value`` has the target key's type; a number past its column's range does
        and simply matches nothing (``core.lookups.IntegerIn``)."""
        options = self.field.remote_field.model._meta
        target = options.get_field(getattr(self.field.remote_field, "field_name", options.pk.name))
        try:
            target.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return False
        return True


class Select(_KeysOnly, widgets.AutocompleteSelect):
    pass


class SelectMultiple(_KeysOnly, widgets.AutocompleteSelectMultiple):
    pass


class AutocompleteAdmin:
    """For a model admin (listed first among its bases): its ``autocomplete_fields`` use the
    widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = Select(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
