from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "Cards"

    def ready(self) -> None:
        from cards.hooks import account_actions, card_actions
        from guests.hooks import register_account_actions, register_card_actions

        register_card_actions(card_actions)
        register_account_actions(account_actions)
