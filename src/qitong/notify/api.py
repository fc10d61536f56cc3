"""The inbox over the API: the caller's own messages, newest first."""

from rest_framework import generics

from qitong.core.api import CountedPagination
from qitong.notify.access import messages_for_user
from qitong.notify.serializers import InboxMessageSerializer


class InboxView(generics.ListAPIView):
    """The caller's messages, newest first."""

    serializer_class = InboxMessageSerializer
    pagination_class = CountedPagination

    def get_queryset(self):
        return messages_for_user(self.request.user)
