"""Who sees which message: each user only their own; any other id is 404."""

from django.shortcuts import get_object_or_404

from qitong.notify.models import Message


def messages_for_user(user):
    """The user's own messages in the inbox (not those of kinds they keep out of it), newest
    first."""
    return Message.objects.filter(recipient=user, in_inbox=True).order_by("-created_at", "-id")


def access_message_for_user(user, message_id):
    """The user's own message; any other id is 404, as if it did not exist."""
    return get_object_or_404(Message, pk=message_id, recipient=user)
