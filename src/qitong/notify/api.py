"""The inbox over the API: the caller's own messages, newest first."""

from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from qitong.notify.access import messages_for_user
from qitong.notify.serializers import InboxMessageSerializer

PAGE_SIZE = 20


class InboxPagination(PageNumberPagination):
    """``?page=N`` → ``{"count", "results"}``, as the contract's lists answer."""

    page_size = PAGE_SIZE

    def get_paginated_response(self, data):
        return Response({"count": self.page.paginator.count, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {"count": {"type": "integer"}, "results": schema},
        }


class InboxView(generics.ListAPIView):
    """The caller's messages, newest first."""

    serializer_class = InboxMessageSerializer
    pagination_class = InboxPagination

    def get_queryset(self):
        return messages_for_user(self.request.user)
