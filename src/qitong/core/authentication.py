from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>``, as contracts/api-v1.md says."""

    keyword = "Bearer"
