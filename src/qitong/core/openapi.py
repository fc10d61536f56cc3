"""The OpenAPI schema's view of every endpoint: its own answers, and the contract's errors.

drf-spectacular documents the answers a view declares (``extend_schema(responses=…)``)
or infers from its serializer. The error answers are shared by every endpoint and made
in one place (``core.api.exception_handler``, ``core.ratelimit``), so they are documented
in one place too: each operation lists the error codes it can answer with, each with the
contract's body (``ApiError``). A view that declares one of these codes itself keeps its own.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

# What each error code means, whatever the endpoint (contract "Auth and errors").
ERRORS = {
    "400": "Bad input: a body, file or query parameter refused (`fields` names each).",
    "401": "No token or session, or a token unknown, revoked or expired.",
    "403": "Known to the caller but not allowed (a role or scope that may not do this).",
    "404": "Unknown, or not visible to the caller (another enterprise's case, a page past the last).",
    "409": "Not allowed in the object's current state (`status` names it).",
    "415": "A body in a media type the endpoint does not read.",
    "429": "Too many requests: a rate limit (`Retry-After` says when to try again).",
}
# Every operation can answer these; an operation that takes a body these as well.
ALWAYS = ("400", "401", "403", "404", "429")
WITH_BODY = ("409", "415")


class ApiErrorSerializer(serializers.Serializer):
    """The contract's error body: ``{"error", "message"}``, with ``fields`` for a 400 and
    ``status`` for a 409."""

    error = serializers.CharField(help_text="invalid, unauthorized, forbidden, not_found, …")
    message = serializers.CharField(help_text="What went wrong, in Chinese.")
    fields = serializers.DictField(
        required=False, help_text="400: each refused field with its messages."
    )
    status = serializers.CharField(required=False, help_text="409: the current state.")


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ALWAYS + (WITH_BODY if self.method in ("POST", "PUT", "PATCH") else ())
        for code in codes:
            if code not in responses:
                answer = self._get_response_for_code(
                    ApiErrorSerializer, code, ["application/json"], direction
                )
                answer["description"] = ERRORS[code]
                responses[code] = answer
        return responses
