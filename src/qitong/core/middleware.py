"""Requests refused before any view sees them: text holding a NUL character.

PostgreSQL cannot store a NUL in a text column; a query or a write carrying
one fails with a server error deep in whichever view got it (a filter, a form,
the admin's search, a session cookie). No legitimate value holds one, so it is
refused here, once for every road: the path, the query string, the cookies
and a POSTed form's fields and file names. /api/ answers with the contract's
error body; pages with a plain Chinese error page. Both name the field. JSON
bodies, and forms sent with other methods, are the API parsers' to check
(``core.parsers``).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from qitong.core.errors import answer
from qitong.core.parsers import NUL, fields_with_nul, form_fields_with_nul, nul_message

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_fields(request):
    fields = {}
    if NUL in request.path:
        fields["path"] = [nul_message()]
    fields.update(form_fields_with_nul(request.GET))
    fields.update(fields_with_nul(request.COOKIES.items()))
    if request.method == "POST" and request.content_type in FORM_TYPES:
        fields.update(form_fields_with_nul(request.POST, request.FILES))
    return fields


class RefuseNulMiddleware:
    """Answer 400 to a request whose path, query, cookies or form holds a NUL character."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            fields = _nul_fields(request)
        except (
            MultiPartParserError,
            RequestDataTooBig,
            TooManyFieldsSent,
            TooManyFilesSent,
        ) as exc:
            # A form Django cannot read (a part's headers over 10 KB, such as a very
            # long file name; a body over DATA_UPLOAD_MAX_MEMORY_SIZE; too many
            # fields): answered where it is first read, in the contract's shape,
            # not with Django's bare HTML 400.
            return refuse(request, unreadable_message(exc), {})
        if not fields:
            return self.get_response(request)
        return refuse(request, _("请求中含有空字符（NUL），已拒绝。"), fields)


def unreadable_message(exc):
    """The Chinese message for a body Django refused to read."""
    if isinstance(exc, RequestDataTooBig):
        return _("请求内容过大：除附件外最多 %(size)s MB。") % {
            "size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:g}"
        }
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return _("表单中的字段或文件过多。")
    return _("上传的表单无法解析（例如文件名或表单头过长），请检查后重试。")


def refuse(request, message, fields):
    """400 in the road's shape (``errors.answer``), the plain error page outside /api/."""
    return answer(
        request,
        400,
        "invalid",
        message,
        fields=fields,
        page=lambda: HttpResponseBadRequest(
            render_to_string("400.html", {"message": message, "fields": fields})
        ),
    )
