from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from qitong.core.autocomplete import AutocompleteAdmin
from qitong.orgs.models import Region, Unit, User


@admin.register(Region)
class RegionAdmin(AutocompleteAdmin, admin.ModelAdmin):
    """Divisions come from the shipped list and ``qitong regions load``; the admin is for
    looking up and for the odd correction (an abolished code is deactivated, never deleted)."""

    list_display = ["code", "name", "level", "parent", "is_active", "successor"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "successor"]
    readonly_fields = ["level"]
    list_select_related = ["parent", "successor"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """Pickers elsewhere (an enterprise's or unit's region) offer only divisions in use;
        a record already pointing at an abolished one keeps it, shown as it is."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            queryset = queryset.filter(is_active=True)
        return queryset, may_have_duplicates


@admin.register(Unit)
class UnitAdmin(AutocompleteAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "region", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "region"]


@admin.register(User)
class UserAdmin(AutocompleteAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "role", "unit", "enterprise", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name", "last_name", "phone"]
    autocomplete_fields = ["unit", "enterprise"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("角色与范围"), {"fields": ("role", "unit", "enterprise", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("角色与范围"), {"fields": ("role", "unit", "enterprise")}),
    )
