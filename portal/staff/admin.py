from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.staff.models import User
from portal.staff.services import staff_unlock


@admin.register(User)
class StaffUserAdmin(UserAdmin):
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
        *(UserAdmin.fieldsets or ()),
        ("Scope", {"fields": ("store_group_code",)}),
    )
    actions = ("unlock_sign_in",)

    @admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["change"])
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        cleared = [
            staff_unlock(actor=request.user, user=user, request=request) for user in queryset
        ]
        messages.success(
            request,
            f"Unlocked {len(cleared)} staff user(s); {sum(cleared)} failed sign-ins cleared.",
        )
