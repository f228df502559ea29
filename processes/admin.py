from django.contrib import admin

from .models import AdministrativeUnit, CalendarOverride, Field, LegalRegime, Membership, Procedure


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "department_kind", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["kind"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]


admin.site.register(Field)
admin.site.register(Procedure)
admin.site.register(LegalRegime)
admin.site.register(CalendarOverride)
