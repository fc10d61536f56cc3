"""Domain errors that every entry point (pages, API, CLI) turns into its own answer."""

from django.http import JsonResponse


class Conflict(Exception):
    """An action not allowed in the current state; the API answers 409 with ``status``."""

    def __init__(self, message, status):
        super().__init__(message)
        self.message = message
        self.status = status


# Roads with an error shape of their own, in which core's middleware (NUL characters,
# unreadable bodies, rate limits) answers them: ``{path prefix: shape}``, where
# ``shape(request, status, message, fields)`` returns the response. Registered from its
# ``AppConfig.ready`` by the app that owns the road (Open311's arrays: ``integrations``),
# since core imports nothing above it.
ERROR_SHAPES = {}


def shape_for(request):
    """The error shape registered for ``request``'s path, or None (core's own shapes)."""
    for prefix, shape in ERROR_SHAPES.items():
        if request.path.startswith(prefix):
            return shape
    return None


def answer(request, status, code, message, *, page, fields=None):
    """The one answer to an error met outside a view (a NUL character, an unreadable body, a
    rate limit, a path no route takes, a server error): a road's registered shape, the
    contract's JSON ``{"error": code, "message", ["fields"]}`` under /api/, else ``page()``,
    the HTML error page."""
    shape = shape_for(request)
    if shape is not None:
        return shape(request, status, message, fields or {})
    if request.path.startswith("/api/"):
        body = {"error": code, "message": message}
        if fields is not None:
            body["fields"] = fields
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    return page()
