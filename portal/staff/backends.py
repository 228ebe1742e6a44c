"""The authentication backend: Django's model backend, permissions read through the cache."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from portal.staff.permissions import staff_access
from portal.staff.rows import row_read


class StaffBackend(ModelBackend):
    """Django's model backend, its permissions read through ``staff_access``, and the signed-in
    user's row (read on every request) read by ``row_read``."""

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        user = row_read(model, where=((model._meta.pk.name, "="),), values=(user_id,))
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = set(staff_access(user_obj).permissions)
        permissions: set[str] = user_obj._perm_cache
        return permissions
