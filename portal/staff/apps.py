from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "portal.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from portal.staff import signals  # noqa: F401  (connects the login log receivers)
