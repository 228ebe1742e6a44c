from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Loyalty Desk"

    def ready(self) -> None:
        # Imported here, not at the top: models exist only once every app is loaded (Django's
        # rule for AppConfig.ready).
        from django.db.models.signals import post_save

        from portal.audit.models import AuditRecord
        from portal.metrics import audit_record_observed, upstream_metrics
        from portal.paytronix.observe import observer_add

        observer_add(upstream_metrics)
        post_save.connect(
            audit_record_observed, sender=AuditRecord, dispatch_uid="metrics-audit-records"
        )
