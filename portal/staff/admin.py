"""Staff users in the Django admin. Roles (one role group each) are the only permission model:
loose permissions and the superuser flag are not in the console, nobody changes their own role
or scope, an admin does not edit a superuser, and every change is an audit record."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from portal.staff.forms import StaffChangeForm
from portal.staff.models import User
from portal.staff.services import (
    staff_change_record,
    staff_change_refuse,
    staff_password_reset_record,
    staff_snapshot,
    staff_unlock,
)
from portal.web import audit_context, viewer_of

#: Never edited in the console: permissions come from the role, admin-site access too.
_NOT_IN_THE_CONSOLE = ("user_permissions", "is_superuser", "is_staff")
#: What nobody changes on their own record.
_NOT_ON_ONESELF = ("groups", "store_group_code", "is_active")


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    form = StaffChangeForm
    list_display = (
        "username",
        "email",
        "role_label",
        "store_group_code",
        "is_active",
        "last_login",
    )
    list_filter = ("groups", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role and scope", {"fields": ("groups", "store_group_code", "is_active")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    actions = ("unlock_sign_in",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += _NOT_ON_ONESELF
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # The form leaves these out, so a POST carrying them was crafted: refuse it whole.
            refused = [name for name in _NOT_IN_THE_CONSOLE if name in request.POST]
            if object_id is not None and str(object_id) == str(request.user.pk):
                refused += [name for name in _NOT_ON_ONESELF if name in request.POST]
            if refused:
                staff_change_refuse(
                    actor=viewer_of(request),
                    context=audit_context(request),
                    target_id=str(object_id),
                    fields=refused,
                )
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request._staff_before = staff_snapshot(obj) if change else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_staff_before", None)
        staff_change_record(
            actor=viewer_of(request),
            context=audit_context(request),
            user=form.instance,
            before=before,
        )

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        user = self.get_object(request, id)
        password_before = user.password if user is not None else ""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and user is not None:
            staff_password_reset_record(
                actor=viewer_of(request),
                context=audit_context(request),
                user=user,
                password_before=password_before,
            )
        return response

    @admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["change"])
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        cleared = [
            staff_unlock(actor=viewer_of(request), user=user, context=audit_context(request))
            for user in queryset
        ]
        messages.success(
            request,
            f"Unlocked {len(cleared)} staff user(s); {sum(cleared)} failed sign-ins cleared.",
        )
