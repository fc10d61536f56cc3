"""The admin: the rhythm each kind of pairer owes and the survey's questions are edited
here; pairings, visits and batches are read-only, since they change through actions."""

from django.contrib import admin

from qitong.core.admin import ReadOnlyAdmin
from qitong.visits.models import Batch, Pairing, Question, Rhythm, Visit


@admin.register(Rhythm)
class RhythmAdmin(admin.ModelAdmin):
    list_display = ["kind", "checkin_days", "visit_days"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["position", "code", "text", "is_active"]
    list_display_links = ["code"]
    list_editable = ["position", "is_active"]


@admin.register(Pairing)
class PairingAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "kind", "unit", "leader", "started_at", "ended_at"]
    list_filter = ["kind"]
    search_fields = ["enterprise__name", "enterprise__uscc"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["enterprise", "state", "visitor", "visited_at", "batch"]
    list_filter = ["state"]
    search_fields = ["enterprise__name", "enterprise__uscc"]


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["name", "starts_on", "ends_on"]
