from django.contrib import admin

from qitong.enterprises.models import Contact, Enterprise, Qualification


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "uscc", "region", "industry", "size", "tier"]
    list_filter = ["tier", "size", "above_scale", "region"]
    search_fields = ["name", "uscc"]
    filter_horizontal = ["qualifications"]
    autocomplete_fields = ["region"]
    inlines = [ContactInline]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["name"]
