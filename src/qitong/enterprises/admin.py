from django.contrib import admin

from qitong.enterprises import actions
from qitong.enterprises.models import Contact, Enterprise, Qualification


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "region", "industry", "size", "tier"]
    # Only the regions enterprises are in: the full list has thousands of divisions.
    list_filter = ["tier", "size", "above_scale", ("region", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "uscc"]
    filter_horizontal = ["qualifications"]
    autocomplete_fields = ["region"]  # optional: left empty, it comes from the USCC
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        """Keep the profile as it was, for the history ``save_related`` writes."""
        request._enterprise_before = actions.snapshot(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        """After the qualifications and contacts: one history row per field changed."""
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_enterprise_before", None)
        if before is not None:
            actions.record_changes(
                form.instance, before, actor=request.user, source=actions.Source.ADMIN
            )


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name"]
