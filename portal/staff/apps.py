from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "portal.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from portal.staff import (  # noqa: F401  (connect the login log and access receivers)
            permissions,
            signals,
        )
