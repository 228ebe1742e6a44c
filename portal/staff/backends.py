"""The authentication backend: Django's model backend, permissions read through the cache."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from portal.staff.permissions import staff_access


class StaffBackend(ModelBackend):
    """Django's model backend, its permissions read through ``staff_access``."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(staff_access(user_obj).permissions)
        permissions: set[str] = user_obj._perm_cache
        return permissions
