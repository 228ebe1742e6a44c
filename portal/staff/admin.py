from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from portal.staff.models import User


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
