from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Loyalty Desk"

    def ready(self) -> None:
        # Imported here, not at the top: models exist only once every app is loaded (Django's
        # rule for AppConfig.ready).
        from django.core.signals import request_finished
        from django.db.models.signals import post_save

        from portal.audit.models import AuditRecord
        from portal.metrics import audit_record_observed, upstream_metrics
        from portal.paytronix.observe import observer_add
        from portal.requestscope import run_after_response

        observer_add(upstream_metrics)
        request_finished.connect(run_after_response, dispatch_uid="run-after-response")
        post_save.connect(
            audit_record_observed, sender=AuditRecord, dispatch_uid="metrics-audit-records"
        )
