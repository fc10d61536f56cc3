"""The assessment in the admin: the weights are edited here (validated by the model, saved
through ``actions.set_weights``); the monthly tallies and the bulletins are read-only."""

from django.contrib import admin

from qitong.assessment import actions
from qitong.assessment.models import WEIGHT_FIELDS, Bulletin, MonthTally, Weights
from qitong.core.admin import ReadOnlyAdmin


@admin.register(Weights)
class WeightsAdmin(admin.ModelAdmin):
    """A row in force since before the running month is history: it can be read, not changed."""

    list_display = ["valid_from", *WEIGHT_FIELDS, "set_by", "set_at"]
    fields = ["valid_from", *WEIGHT_FIELDS, "note", "set_by", "set_at"]
    readonly_fields = ["set_by", "set_at"]

    def get_readonly_fields(self, request, obj=None):
        # A row's month is its identity: another month is another row.
        return [*self.readonly_fields, "valid_from"] if obj else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (obj and obj.locked)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.locked)

    def save_model(self, request, obj, form, change):
        saved = actions.set_weights(
            acting_user=request.user,
            valid_from=obj.valid_from,
            weights=obj.as_dict(),
            note=obj.note,
        )
        obj.pk = saved.pk


@admin.register(MonthTally)
class MonthTallyAdmin(ReadOnlyAdmin):
    list_display = ["month", "as_of", "computed_at"]
    readonly_fields = ["month", "as_of", "computed_at", "units"]
    allow_delete = True  # derived: counted again when needed


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["month", "built_at", "built_by", "builds", "published_at", "published_by"]
    readonly_fields = [field.name for field in Bulletin._meta.fields]
