"""A valid request for every Guest Service endpoint, on the seed's named guests, and the checks
of a reply against the contract's table; shared by the contract tests."""

from __future__ import annotations

from typing import Any

from portal.sandbox import contract, demo
from portal.sandbox.contract import Field

CARD = demo.DEMO_ACTIVE_CARD
ACCOUNT = demo.DEMO_ACCOUNT_ID
USERNAME = demo.DEMO_USERNAME
FRIEND = ["new.friend@example.com"]

#: "guest/<name>" → parameters (besides merchantId) of a request that succeeds on the seed.
VALID: dict[str, dict[str, Any]] = {
    "guest/printedCardNumberForExternalAccount": {"accountCode": demo.DEMO_EXTERNAL_ACCOUNT_CODE},
    "guest/accountInformation": {"printedCardNumber": CARD},
    "guest/accountInformationById": {"accountId": ACCOUNT},
    "guest/migrateEmailAsUsername": {"username": USERNAME, "email": demo.DEMO_EMAIL},
    "guest/eClubAccountInformation": {
        "email": demo.DEMO_ECLUB_EMAIL,
        "cardTemplateCode": demo.ECLUB_TEMPLATE,
    },
    "guest/userInformation": {"username": USERNAME},
    "guest/userInformationByPrintedCardNumber": {"printedCardNumber": CARD},
    "guest/userInformationByAccountId": {"accountId": ACCOUNT},
    "guest/eClubUserInformation": {
        "email": demo.DEMO_ECLUB_EMAIL,
        "cardTemplateCode": demo.ECLUB_TEMPLATE,
    },
    "guest/userAndAccountInformationByPrintedCardNumber": {"printedCardNumber": CARD},
    "guest/transactionHistory": {
        "printedCardNumber": CARD,
        "maxNumberOfResults": 5,
        "dateStart": "2020-01-01",
        "limitToBalanceAffectingTransactions": "false",
    },
    "guest/transactionHistoryByAccount": {"accountId": ACCOUNT, "maxNumberOfResults": 5},
    "guest/transactionAnnotation": {
        "accountId": ACCOUNT,
        "transactionId": demo.DEMO_ANNOTATED_TRANSACTION_ID,
    },
    "guest/attachCard": {
        "printedCardNumber": CARD,
        "otherPrintedCardNumber": demo.DEMO_ATTACHABLE_CARD,
    },
    "guest/combineCard": {"printedCardNumber": demo.DEMO_COMBINE_OTHER_CARD},
    "guest/attachAndCombine": {
        "printedCardNumber": CARD,
        "otherPrintedCardNumber": demo.DEMO_ATTACHABLE_CARD,
    },
    "guest/isCardCombinable": {"printedCardNumber": demo.DEMO_COMBINE_OTHER_CARD},
    "guest/changeCardStatus": {"printedCardNumber": CARD, "status": "DISABLED"},
    "guest/referralsByUsername": {"username": USERNAME},
    "guest/referralsByPrintedCardNumber": {"printedCardNumber": CARD},
    "guest/referralsByAccountId": {"accountId": ACCOUNT},
    "guest/addReferralsByUsername": {"username": USERNAME, "emails": FRIEND},
    "guest/addReferralsByPrintedCardNumber": {"printedCardNumber": CARD, "emails": FRIEND},
    "guest/addReferralsByAccountId": {"accountId": ACCOUNT, "emails": FRIEND},
    "guest/createReferralCodeByUsername": {
        "username": USERNAME,
        "cardTemplateCode": demo.REWARDS_TEMPLATE,
    },
    "guest/createReferralCodeByPrintedCardNumber": {"printedCardNumber": CARD},
    "guest/createReferralCodeByAccountId": {"accountId": ACCOUNT},
    "guest/validateReferralCode": {"code": demo.DEMO_REFERRAL_CODE},
    "guest/pendingEventRewards": {"printedCardNumber": CARD},
    "guest/pendingEventRewardsByAccountId": {"accountId": ACCOUNT},
    "guest/applyVisitCode": {"printedCardNumber": CARD, "code": demo.DEMO_VISIT_CODE},
    "guest/validateVisitCode": {"accountId": ACCOUNT, "code": demo.DEMO_VISIT_CODE},
    "guest/updateMessageFrequency": {"username": USERNAME, "preference": "ONCE_PER_WEEK"},
    "guest/updateUserLanguagePrefByUsername": {"username": USERNAME, "languageCode": "fr-CA"},
    "guest/updateUserLanguagePrefByPrintedCardNumber": {
        "printedCardNumber": CARD,
        "languageCode": "fr-CA",
    },
    "guest/updateUserLanguagePrefByAccountId": {"accountId": ACCOUNT, "languageCode": "fr-CA"},
}


def ill_typed(terms: contract.EndpointContract, param: Field, valid: Any) -> Any:
    """A value of the wrong JSON type for ``param``, or ``None`` where the wire has none (any
    text is a string in a query string)."""
    if terms.method == "GET":
        return {"integer": "12ab", "boolean": "yes", "date": "23/03/2012"}.get(param.type)
    return {
        "integer": str(valid if valid is not None else 9000001),
        "string": int(valid) if str(valid).isdigit() else 12345,
        "boolean": "yes",
        "array<string>": "new.friend@example.com",
        "object": "comment",
    }.get(param.type)


def shape_problems(
    fields: tuple[Field, ...], body: dict[str, Any], owner: str, where: str, *, exact: bool
) -> list[str]:
    """How ``body`` departs from ``fields``: a required field missing, a wrong JSON type, a
    nested object off its own table, and (``exact``) a field neither the table nor the
    sandbox's listed extras of ``owner`` name."""
    problems: list[str] = []
    listed = {f.name for f in fields} | contract.extras(owner)
    for found in fields:
        if found.name not in body:
            if found.required:
                problems.append(f"{where}.{found.name} missing")
            continue
        value = body[found.name]
        if not contract.json_type_fits(found.type, value, in_query=False):
            problems.append(f"{where}.{found.name} is {type(value).__name__}, not {found.type}")
            continue
        nested = contract.objects().get(found.object)
        if nested is None:
            continue
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            place = f"{where}.{found.name}[{index}]"
            problems += shape_problems(nested, item, found.object, place, exact=exact)
    if exact:
        problems += [f"{where}.{name} not in the table" for name in body if name not in listed]
    return problems


def reply_problems(path: str, reply: dict[str, Any], *, exact: bool) -> list[str]:
    """``reply`` against its endpoint's table: a documented result, then that result's fields
    (all of them and no other, with ``exact``, but for the sandbox's listed extras)."""
    terms = contract.endpoints()[path]
    result = reply.get("result")
    if result not in terms.results:
        return [f"result {result!r} is not one of {sorted(terms.results)}"]
    owner = f"{terms.name}/{result}"
    return shape_problems(terms.results[result], reply, owner, result, exact=exact)
