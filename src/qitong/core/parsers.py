"""The API's body parsers: Django REST framework's, refusing what nothing behind them can take.

Set once for every endpoint (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``):

- a JSON body nested deeper than ``MAX_DEPTH`` is refused. Python's decoder
  recurses once per level and gives up near a thousand with ``RecursionError``;
  everything after it (serializers, our own walks) would recurse as well.
  The decoded value is measured by an explicit stack, never by recursion.
- a NUL character in any text of a body (a JSON string or key, a form field,
  a file's name) is refused: PostgreSQL cannot store it in a text column and
  fails with a server error, and no legitimate value carries one.

Both answer 400 with the contract's body, naming the field. The query string,
cookies and bodies of the pages are checked by ``core.middleware``, which
shares ``fields_with_nul`` and ``form_fields_with_nul`` with these parsers.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ValidationError

NUL = "\x00"
# Deeper than any body of the contract (an action's body is two levels).
MAX_DEPTH = 32
BODY = "non_field_errors"


def nul_message():
    return _("不能包含空字符（NUL，\\u0000）。")


def shown_name(name):
    """A field's name fit to show back: a NUL in it written out as ``\\u0000``."""
    return name.replace(NUL, "\\u0000") if name else BODY


def fields_with_nul(pairs):
    """``{field: [message]}`` for each (name, text) pair whose name or text holds a NUL."""
    fields = {}
    for name, text in pairs:
        if NUL in name or (isinstance(text, str) and NUL in text):
            fields[shown_name(name)] = [nul_message()]
    return fields


def form_fields_with_nul(data, files=None):
    """``fields_with_nul`` of a form: each value of every field (a ``QueryDict``), and each
    uploaded file's name (``files``, a ``MultiValueDict``) under its field."""
    pairs = [(name, value) for name, values in data.lists() for value in values]
    if files is not None:
        pairs += [(name, upload.name) for name, uploads in files.lists() for upload in uploads]
    return fields_with_nul(pairs)


def _walk(value):
    """The depth of a decoded JSON value and the top-level fields holding a NUL, without recursion."""
    deepest, found = 0, {}
    stack = [(value, 1, None)]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            for key, inner in item.items():
                owner = key if field is None else field
                if NUL in key:
                    found[shown_name(owner)] = [nul_message()]
                stack.append((inner, depth + 1, owner))
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((inner, depth + 1, field) for inner in item)
        elif isinstance(item, str) and NUL in item:
            found[shown_name(field or "")] = [nul_message()]
    return deepest, found


def _too_deep():
    return ValidationError(
        {BODY: [_("请求内容嵌套过深：最多 %(depth)d 层。") % {"depth": MAX_DEPTH}]}
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested too deep and text holding NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        depth, nul_fields = _walk(data)
        if depth > MAX_DEPTH:
            raise _too_deep()
        if nul_fields:
            raise ValidationError(nul_fields)
        return data


def _check_form(data, files=None):
    nul_fields = form_fields_with_nul(data, files)
    if nul_fields:
        raise ValidationError(nul_fields)


class FormParser(parsers.FormParser):
    """DRF's form parser, refusing fields holding NUL (the middleware sees only POST's)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing fields and file names holding NUL."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _check_form(parsed.data, parsed.files)
        return parsed
