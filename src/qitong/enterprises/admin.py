from django.contrib import admin

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


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name"]
