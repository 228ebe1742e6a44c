from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once every
        # app is loaded (Django's rule for AppConfig.ready). Importing them registers what they
        # hold: the runtime role's deploy check, the security-event receivers, each action's
        # settle function.
        from portal.audit import (  # noqa: F401
            checks,
            receivers,
            settle,
            settle_balances,
            settle_profile,
        )
        from portal.audit.export import audit_export_run
        from portal.jobs.kinds import job_kind_register

        job_kind_register("audit.export", run=audit_export_run)
