"""Staff users: a custom user model with the store-group scope of store managers."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from portal.staff.permissions import staff_access
from portal.staff.roles import PERMISSIONS, Role


class User(AbstractUser):
    store_group_code = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Paytronix store group code (accessFilterStoreGroupCode) a store manager is "
        "limited to. Required for store managers, empty for everyone else.",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = list(PERMISSIONS.items())

    @cached_property
    def role(self) -> Role | None:
        """The user's one role, from their group; superusers count as admins."""
        names = staff_access(self).groups
        for role in Role:
            if role.value in names:
                return role
        return Role.ADMIN if self.is_superuser else None

    @property
    def role_label(self) -> str:
        return self.role.label if self.role else "No role"

    @property
    def is_store_scoped(self) -> bool:
        return self.role is Role.STORE_MANAGER

    def clean(self) -> None:
        super().clean()
        if self.pk and self.role is Role.STORE_MANAGER and self.store_group_code is None:
            raise ValidationError({"store_group_code": "A store manager needs a store group code."})
