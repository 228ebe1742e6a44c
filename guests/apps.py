from django.apps import AppConfig


class GuestsConfig(AppConfig):
    name = "guests"
    verbose_name = "Guests"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once every
        # app is loaded (Django's rule for AppConfig.ready).
        from guests.services.privacy import (
            approved_deletion_describe,
            approved_deletion_run,
            deletion_limit,
        )
        from portal.approvals.kinds import approval_kind_register
        from portal.audit.actions import limit_register

        # A privacy deletion is always a second person's: asked for, approved, then run.
        approval_kind_register(
            "guest.delete", run=approved_deletion_run, describe=approved_deletion_describe
        )
        limit_register("guest.delete", deletion_limit)
