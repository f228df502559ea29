"""Django's admin site, for the platform's operators (superusers). It writes to tables the services own (units,
memberships, calendars, procedures, user accounts and their permissions), so every addition, change and deletion made
through it goes to the event log's "platform" stream like any service's change, with who, from where, and the values
before and after: nothing the admin site does escapes the audit."""
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from .models import AdministrativeUnit, CalendarOverride, Field, LegalRegime, Membership, Procedure
from .services.events import Actor, record_event

STREAM = "platform"
SECRET_FIELDS = {"password"}
MAX_TEXT = 500


def snapshot(obj):
    """The object's field values (many-to-many included) as JSON-safe text; secrets only as "set"."""
    values = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.name in SECRET_FIELDS:
            values[field.name] = "(set)" if value else ""
        else:
            values[field.name] = None if value is None else str(value)[:MAX_TEXT]
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(related)[:MAX_TEXT] for related in getattr(obj, field.name).all())
    return values


class AuditedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every change is an event (admin_added / admin_changed / admin_deleted)."""

    def _actor(self, request):
        return Actor(user=request.user, client_address=request.META.get("REMOTE_ADDR"))

    def _record(self, request, kind, obj, before, after, message=""):
        record_event(kind, actor=self._actor(request), stream=STREAM, before=before, after={
            "model": obj._meta.label, "object_id": str(obj.pk), "object": str(obj)[:MAX_TEXT],
            "message": str(message)[:MAX_TEXT], "values": after})

    def save_model(self, request, obj, form, change):
        # the values before, many-to-many included (save_related changes those after this)
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            request._motcua_admin_before = {(obj._meta.label, str(obj.pk)): snapshot(stored) if stored else None}
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._record(request, "admin_added", obj, None, snapshot(obj), entry.get_change_message())
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        before = getattr(request, "_motcua_admin_before", {}).get((obj._meta.label, str(obj.pk)))
        self._record(request, "admin_changed", obj, {"values": before} if before is not None else None,
                     snapshot(obj), entry.get_change_message())
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        for obj in objects:
            record_event("admin_deleted", actor=self._actor(request), stream=STREAM,
                         before={"model": obj._meta.label, "object_id": str(obj.pk), "object": str(obj)[:MAX_TEXT],
                                 "values": snapshot(obj)})
        return super().log_deletions(request, objects)


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "department_kind", "parent"]
    search_fields = ["code", "name"]
    list_filter = ["kind"]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]


for model in (Field, Procedure, LegalRegime, CalendarOverride):
    admin.site.register(model, AuditedAdmin)


class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Accounts: active flag, staff and superuser status, groups and permissions are audited like roles."""


class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    pass


User = get_user_model()
for model, model_admin in ((User, AuditedUserAdmin), (Group, AuditedGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
