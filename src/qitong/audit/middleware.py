"""What the audit trail sees of every request, in one place.

- It keeps the request for ``trail.record`` while the view runs, so an action
  deep in an app records who and from where without being handed the request.
- Every file handed out (a ``FileResponse`` or an attachment: ledgers,
  bulletins, visit and pairing ledgers, appeal, policy and visit attachments,
  background jobs' files) is a row naming the path and the file: ``export``
  for a spreadsheet of ``core.exports``, ``download`` for anything else.
- Every admin API creation (``CREATIONS``) is a ``create`` row, success with
  the new id or failure with the status.
- Every write refused with 403 or by the rate limits (429) is a ``refused`` row;
  a login refused by the rate limits is a ``login`` row.
- Every page or answer in ``PERSONAL_READS`` that shows staff an enterprise's
  contact (its name; the phone masked, or in full in the API to those who may
  see it) is a ``read_personal`` row naming the object (the dossier records
  itself, refusals included: ``dashboard.views.dossier``). A phone revealed in
  full on a page is a row of its own, with its reason (``audit.reveal``).
"""

from urllib.parse import unquote

from django.http import FileResponse

from qitong.audit.trail import Action, Outcome, record, serving
from qitong.core import exports
from qitong.orgs.scope import is_officer

# The URL names of the admin API's creations (POST): units, users, enterprises.
CREATIONS = {"api-units": "unit", "api-users": "user", "api-enterprises": "enterprise"}
# GET routes that show government staff an enterprise's contact person and phone.
PERSONAL_READS = {
    "appeal-detail": "appeal",
    "office-triage": "appeal",
    "api-appeal": "appeal",
    # An Open311 request waiting for the office: its reporter's name, phone and e-mail.
    "office-open311-request": "open311_request",
}
# What names a created object in the API's answer, in order of preference.
KEYS = ("id", "code", "username", "uscc")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def _filename(response):
    """The file's name as the client saves it (``filename*`` decoded)."""
    if getattr(response, "filename", ""):
        return response.filename[:200]
    disposition = response.get("Content-Disposition", "")
    if "filename*=" in disposition:
        encoded = disposition.split("filename*=", 1)[1].split(";", 1)[0]
        return unquote(encoded.rpartition("'")[2])[:200]
    if "filename=" in disposition:
        return disposition.split("filename=", 1)[1].split(";", 1)[0].strip('"')[:200]
    return ""


def _is_file(response):
    return isinstance(response, FileResponse) or response.get("Content-Disposition", "").startswith(
        "attachment"
    )


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving(request):
            response = self.get_response(request)
            self._after(request, response)
        return response

    def _after(self, request, response):
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match else None
        if request.method == "POST" and name in CREATIONS:
            data = getattr(response, "data", None)
            created = None
            if isinstance(data, dict):
                created = next((data[key] for key in KEYS if data.get(key)), None)
            ok = 200 <= response.status_code < 300
            record(
                Action.CREATE,
                target=f"{CREATIONS[name]}:{created}" if ok else CREATIONS[name],
                outcome=Outcome.SUCCESS if ok else Outcome.FAILURE,
                detail={"path": request.path, "status": response.status_code},
            )
        elif (
            response.status_code == 429
            and request.method not in SAFE_METHODS
            and not getattr(request, "axes_locked_out", False)
        ):
            # Refused by the rate limits before any view ran (the lockout records its own);
            # reads refused so are not recorded, lest a flood of them become a flood of rows.
            if name == "login":
                username = str(request.POST.get("username", ""))[:150]
                record(
                    Action.LOGIN,
                    username=username,
                    target=username,
                    outcome=Outcome.DENIED,
                    detail={"rate_limited": True},
                )
            else:
                record(
                    Action.REFUSED,
                    target=request.path[:300],
                    outcome=Outcome.DENIED,
                    detail={"method": request.method, "view": name or "", "rate_limited": True},
                )
        elif request.method not in SAFE_METHODS and response.status_code == 403:
            record(
                Action.REFUSED,
                target=request.path[:300],
                outcome=Outcome.DENIED,
                detail={"method": request.method, "view": name or ""},
            )
        elif (
            name in PERSONAL_READS
            and request.method == "GET"
            and response.status_code == 200
            and is_officer(request.user)
        ):
            record(
                Action.READ_PERSONAL,
                target=f"{PERSONAL_READS[name]}:{match.kwargs.get('pk', '')}",
                detail={"view": name, "fields": ["contact_name", "contact_phone"]},
            )
        elif 200 <= response.status_code < 300 and _is_file(response):
            is_sheet = response.get("Content-Type", "").startswith(exports.CONTENT_TYPE)
            record(
                Action.EXPORT if is_sheet else Action.DOWNLOAD,
                target=request.path[:300],
                detail={"file": _filename(response), "view": name or ""},
            )
