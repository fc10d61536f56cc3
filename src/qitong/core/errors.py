"""Domain errors that every entry point (pages, API, CLI) turns into its own answer."""


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
