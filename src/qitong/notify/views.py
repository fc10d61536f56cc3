"""The inbox: a page and an API endpoint, each showing only the caller's own messages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from qitong.notify import outbox
from qitong.notify.models import Message

PAGE_SIZE = 20


def messages_for_user(user):
    return Message.objects.filter(recipient=user).order_by("-created_at", "-id")


def access_message_for_user(user, message_id):
    """The user's own message; any other id is 404, as if it did not exist."""
    return get_object_or_404(Message, pk=message_id, recipient=user)


@login_required
def inbox(request):
    page = Paginator(messages_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "title": _("站内消息")})


@login_required
@require_POST
def mark_read(request, message_id):
    outbox.mark_read(access_message_for_user(request.user, message_id))
    target = reverse("inbox")
    page = request.POST.get("page", "")
    return redirect(f"{target}?page={page}" if page.isdigit() else target)


class InboxMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at"]


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
