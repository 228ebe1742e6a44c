from django.apps import AppConfig
from django.conf import settings


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Cards"

    def ready(self) -> None:
        # Imported here, not at the top: these modules use models, which exist only once every
        # app is loaded (Django's rule for AppConfig.ready).
        from cards.adjustments import voided_later
        from cards.hooks import account_actions, card_actions
        from cards.limits import (
            attach_and_combine_limit,
            combine_limit,
            wallet_adjust_limit,
            wallet_void_limit,
        )
        from cards.report_export import KIND, adjustments_export_run
        from cards.services.bulk import (
            bulk_refused_count,
            bulk_refused_rows,
            card_status_ahead,
            card_status_item,
        )
        from cards.services.combine import (
            card_combine_item,
            combine_approved,
            combine_describe,
            combine_now,
        )
        from cards.services.wallets import (
            wallet_adjust_approved,
            wallet_adjust_describe,
            wallet_adjust_now,
        )
        from guests.hooks import register_account_actions, register_card_actions
        from portal.approvals.kinds import approval_kind_register
        from portal.audit.actions import limit_register
        from portal.jobs.kinds import job_kind_register

        register_card_actions(card_actions)
        register_account_actions(account_actions)
        job_kind_register("cards.combine", items=card_combine_item)
        job_kind_register(KIND, run=adjustments_export_run)
        job_kind_register(
            "bulk.card_status",
            items=card_status_item,
            concurrency=lambda: settings.CARDS_BULK_CONCURRENCY,
            ahead=card_status_ahead,
            not_run=bulk_refused_rows,
            not_run_count=bulk_refused_count,
        )
        limit_register("wallet.adjust", wallet_adjust_limit)
        limit_register("wallet.void", wallet_void_limit)
        approval_kind_register(
            "wallet.adjust",
            run=wallet_adjust_approved,
            describe=wallet_adjust_describe,
            later=voided_later,
            now=wallet_adjust_now,
        )
        # Combines by whoever lacks combine_without_approval: a supervisor approves, then runs.
        limit_register("cards.combine", combine_limit)
        limit_register("cards.attach_and_combine", attach_and_combine_limit)
        approval_kind_register(
            "cards.combine", run=combine_approved, describe=combine_describe, now=combine_now
        )
