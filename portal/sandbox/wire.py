"""Reply objects of the Guest Service, built from the model exactly as the spec names them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from portal.sandbox.model import (
    Account,
    Card,
    Model,
    PendingReward,
    Transaction,
    User,
    VisitCode,
    Wallet,
    wire_datetime,
)

MERCHANT_NAME = "Harbor Grill"

Json = dict[str, Any]


def money(amount: Decimal, scale: int) -> str:
    """Decimals travel as strings with the wallet's scale: ``"12.50"``, ``"120"``."""
    return f"{amount:.{scale}f}"


def card_information(card: Card) -> Json:
    return {
        "printedCardNumber": card.number,
        "maskedCardNumber": card.masked,
        "status": card.status,
    }


def balance_information(wallet: Wallet) -> Json:
    return {
        "walletCode": wallet.code,
        "name": wallet.name,
        "balance": money(wallet.balance, wallet.scale),
        "expirations": [
            {"amount": money(e.amount, wallet.scale), "expirationDate": e.expires.isoformat()}
            for e in wallet.expirations
        ],
        "additionalExpiringBalance": money(wallet.additional_expiring, wallet.scale),
        "hideExpirationDates": wallet.hide_expiration_dates,
        "description": f"Your {wallet.name} balance.",
        "imageCode": "",
        "link": "",
        "linkLabel": "",
        "tinyName": wallet.name[:10],
        "shortName": wallet.name,
        "longName": wallet.name,
    }


def pending_event_reward(reward: PendingReward) -> Json:
    body: Json = {
        "name": reward.name,
        "tinyName": reward.name[:10],
        "shortName": reward.name,
        "longName": reward.name,
        "amount": str(reward.amount),
        "eventName": reward.event_name,
        "eventCode": reward.event_code,
    }
    if reward.expires is not None:
        body["expirationDate"] = reward.expires.isoformat()
    return body


def account_fields(account: Account) -> Json:
    favorite = account.favorite_store
    return {
        "customerNumber": account.customer_number,
        "perks": [{"code": code, "label": label} for code, label in account.perks],
        "perksModifiedDate": account.enroll_date.isoformat(),
        "favoriteStore": {"label": favorite.label, "code": favorite.code} if favorite else {},
        "enrollDate": account.enroll_date.isoformat(),
        "externalAccounts": [
            {"integration": integration, "accountCode": code}
            for integration, code in account.external_accounts
        ],
        "favoriteStores": [],
    }


def additional_cards(model: Model, account: Account) -> list[Json]:
    """The account's own cards after the primary one. A card attached to the account's user
    keeps its own account and is not listed here (the user's ``accountIds`` name it)."""
    return [card_information(model.cards[n]) for n in account.cards[1:]]


def account_information(model: Model, account: Account, query_card: Card) -> Json:
    """AccountInformation as accountInformation.json and its siblings answer it."""
    template = model.templates[account.template_code]
    tier = model.tiers[account.tier_code]
    body: Json = {
        "result": "success",
        "accountId": account.account_id,
        "username": account.username,
        "accountStatus": account.status,
        "queryCardStatus": query_card.status,
        "registrationStatus": account.registration_status,
        "cardTemplateCode": template.code,
        "cardTemplateLabel": template.label,
        "tierCode": tier.code,
        "tierLabel": tier.label,
        "enrollmentStore": {
            "code": account.enrollment_store.code,
            "label": account.enrollment_store.label,
        },
        "fields": account_fields(account),
        "primaryCard": card_information(model.cards[account.primary_card]),
        "additionalCards": additional_cards(model, account),
        "pointBalances": [balance_information(w) for w in account.wallets if w.kind == "points"],
        "rewardBalances": [balance_information(w) for w in account.wallets if w.kind == "reward"],
        "pendingEventRewards": [pending_event_reward(r) for r in account.pending_rewards],
    }
    # Paytronix leaves these out when the program has no such wallet (see the eClub example).
    for wallet in account.wallets:
        if wallet.kind == "storedValue":
            body["storedValueBalance"] = balance_information(wallet)
        elif wallet.kind == "charge":
            body["chargeBalance"] = balance_information(wallet)
    return body


def user_information(model: Model, user: User) -> Json:
    accounts = [model.accounts[i] for i in user.account_ids]
    return {
        "fields": {**user.fields, "messageFrequency": user.message_frequency},
        "primaryCardNumbers": [a.primary_card for a in accounts],
        "relatedGuests": list(user.related_guests),
        "addresses": list(user.addresses),
        "accountIds": [a.account_id for a in accounts],
    }


def wallet_info(account: Account) -> list[Json]:
    return [{"walletCode": w.code, "name": w.name, "scale": w.scale} for w in account.wallets]


def transaction(account: Account, item: Transaction) -> Json:
    scales = {w.code: w.scale for w in account.wallets}
    return {
        "transactionType": item.transaction_type,
        "guestType": item.guest_visible,
        "authorized": item.authorized,
        "transactionId": item.transaction_id,
        "posTransactionNumber": item.pos_number,
        "datetime": wire_datetime(item.moment),
        "storeMerchant": MERCHANT_NAME,
        "storeCode": item.store_code,
        # The spec's example names the store code storeNumber; both are sent.
        "storeNumber": item.store_code,
        "storeName": item.store_name,
        "terminalId": item.terminal_id,
        "operatorId": item.operator_id,
        "sender": item.sender,
        "pxAuthCode": item.auth_code,
        "details": [
            {
                "walletCode": d.wallet_code,
                "accrued": money(d.accrued, scales.get(d.wallet_code, 2)),
                "redeemed": money(d.redeemed, scales.get(d.wallet_code, 2)),
                "balance": money(d.balance, scales.get(d.wallet_code, 2)),
            }
            for d in item.details
        ],
        "requestEvent": item.request_event,
    }


def referrals(account: Account) -> Json:
    return {
        "result": "success",
        "numberOfAvailableUserReferrals": account.referrals_available,
        "userReferrals": [
            {"email": r.email, "status": r.status, "reward": r.reward} for r in account.referrals
        ],
        "bulkReferrals": [
            {"detail": r.detail, "status": r.status, "reward": r.reward}
            for r in account.bulk_referrals
        ],
    }


def visit_code_info(visit: VisitCode) -> Json:
    return {
        "storeCode": visit.store_code,
        "checkNumber": visit.check_number,
        "dollarSpent": money(visit.dollar_spent, 2),
        "checkDate": visit.check_date.isoformat(),
        "normalizedCode": visit.code,
    }
