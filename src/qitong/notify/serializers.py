"""The inbox's shape over the API."""

from rest_framework import serializers

from qitong.notify.models import Message


class InboxMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at"]
