"""Domain errors that every entry point (pages, API, CLI) turns into its own answer."""


class Conflict(Exception):
    """An action not allowed in the current state; the API answers 409 with ``status``."""

    def __init__(self, message, status):
        super().__init__(message)
        self.message = message
        self.status = status
