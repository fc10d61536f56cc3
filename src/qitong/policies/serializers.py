"""The policy library's API shapes: a search result, and one policy with all it carries."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from qitong.policies.models import Page, Policy


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()


class PolicyAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


def page_url(policy):
    """The policy's page in the library (``/policies/{id}/``)."""
    return reverse("policy-detail", args=[policy.pk])


def detail_pages(policy):
    """The pages a policy was read from: prefetched as ``detail_pages`` by a search, else read."""
    pages = getattr(policy, "detail_pages", None)
    if pages is None:
        pages = policy.pages.filter(kind=Page.Kind.DETAIL).select_related("source").order_by("pk")
    return pages


def link(policy):
    return {"id": policy.pk, "title": policy.title, "url": page_url(policy)}


class PolicyListItemSerializer(serializers.ModelSerializer):
    """A search result: what it is, where to read it in the library, which sites published it."""

    url = serializers.SerializerMethodField()
    sources = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = ["id", "title", "issuer", "number", "published", "url", "category", "sources"]

    def get_url(self, policy) -> str:
        return page_url(policy)

    @extend_schema_field(SourceSerializer(many=True))
    def get_sources(self, policy):
        return [{"name": page.source.name, "url": page.url} for page in detail_pages(policy)]


class PolicySerializer(PolicyListItemSerializer):
    """``GET /api/v1/policies/{id}``: the list's fields, the text, the conditions, the files and
    the readings (only those the caller may see)."""

    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    regions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    qualifications = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    attachments = serializers.SerializerMethodField()
    interprets = serializers.SerializerMethodField()
    interpretations = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = [
            *PolicyListItemSerializer.Meta.fields,
            "body",
            "index_number",
            "subject",
            "written",
            "level",
            "region",
            "valid_from",
            "valid_until",
            "industries",
            "sizes",
            "tiers",
            "regions",
            "qualifications",
            "attachments",
            "interprets",
            "interpretations",
        ]

    @extend_schema_field(PolicyAttachmentSerializer(many=True))
    def get_attachments(self, policy):
        return [
            {
                "id": item.pk,
                "name": item.name,
                "size": item.size,
                "url": reverse("policy-attachment", args=[policy.pk, item.pk]),
            }
            for item in policy.attachments.order_by("pk")
        ]

    @extend_schema_field(LinkSerializer(allow_null=True))
    def get_interprets(self, policy):
        target = self.context["interprets"]
        return link(target) if target else None

    @extend_schema_field(LinkSerializer(many=True))
    def get_interpretations(self, policy):
        return [link(reading) for reading in self.context["interpretations"]]
