"""What the contract decides where the Guest Service reference is ambiguous or contradicts itself.

Each decision names the entry it changes and why; ``apply`` writes the ``decision`` text next to
that entry in ``guest-service.json`` so a reader of the table sees it where it matters.
"""

from __future__ import annotations

import copy
from typing import Any

Table = dict[str, Any]

FAILURE_FIELDS = [
    {"name": "result", "type": "string", "required": True},
    {"name": "errorCode", "type": "string", "required": True},
    {"name": "errorMessage", "type": "string", "required": True},
]

#: endpoint name → (parameter, change, why)
PARAMETERS: list[tuple[str, str, dict[str, Any], str]] = [
    *[
        (
            endpoint,
            name,
            {"required": False},
            "Marked (required) but described as needed 'only if one exists' / 'if that card is "
            "already registered': sent only when more_info asked for it.",
        )
        for endpoint in ("attachCard", "attachAndCombine")
        for name in ("otherRegistrationCode", "otherUsername", "otherPassword")
    ],
    (
        "combineCard",
        "otherPrintedCardNumber",
        {"required": False},
        "Marked (required) but 'Obsolete as of v14.10': optional, accepted and not used.",
    ),
    *[
        (
            endpoint,
            name,
            {"required": False},
            "(See description): exactly one of printedCardNumber and accountId (oneOf).",
        )
        for endpoint in ("applyVisitCode", "validateVisitCode")
        for name in ("printedCardNumber", "accountId")
    ],
    (
        "updateUserLanguagePrefByPrintedCardNumber",
        "printedCardNumber",
        {"required": True},
        "(See description), copied from applyVisitCode: it is the only account key here.",
    ),
    (
        "updateUserLanguagePrefByAccountId",
        "accountId",
        {"required": True},
        "(See description), copied from applyVisitCode: it is the only account key here.",
    ),
]

#: endpoint → parameter → the constant list (or literal values) it must be one of.
VALUES: dict[str, dict[str, str | list[str]]] = {
    "changeCardStatus": {"status": ["ACTIVE", "DISABLED"]},
    "updateMessageFrequency": {"preference": "Message Frequency"},
    "updateUserLanguagePrefByUsername": {"languageCode": "Language Preference"},
    "updateUserLanguagePrefByPrintedCardNumber": {"languageCode": "Language Preference"},
    "updateUserLanguagePrefByAccountId": {"languageCode": "Language Preference"},
}

ONE_OF = {
    "applyVisitCode": ["printedCardNumber", "accountId"],
    "validateVisitCode": ["printedCardNumber", "accountId"],
}

#: Whether an endpoint changes upstream state. The reference does not say; its method mostly
#: does (a GET reads, a POST writes), and these are the exceptions, each by its own description.
#: The client never retries a write, settles its unknown outcome by reading back, and lets only
#: the audit door send it; it retries a read only when it is a GET.
WRITES_WHY = (
    "Not in the reference: a GET reads and a POST writes, except where the endpoint's own "
    "description says otherwise (the entry's writesDecision)."
)
WRITES: dict[str, tuple[bool, str]] = {
    "migrateEmailAsUsername": (
        True,
        "A GET that changes state: 'Allows a user to use their email address as a username.' "
        "A write: never retried, only through the audit door, an unknown outcome settled.",
    ),
    "validateReferralCode": (
        False,
        "A POST that changes nothing: 'Validate the given referral code.' A read, but sent as "
        "a POST: not retried (the transport retries GETs only), nothing to settle.",
    ),
    "validateVisitCode": (
        False,
        "A POST that changes nothing: 'Validate that a visit code can be applied to an "
        "account' (applyVisitCode applies it). A read, but sent as a POST: not retried, "
        "nothing to settle.",
    ),
}

#: Endpoints whose reply blocks the reference leaves out or leaves empty.
RESULTS: dict[str, tuple[dict[str, list[dict[str, Any]]], str]] = {
    **{
        name: (
            {
                "success": [{"name": "result", "type": "string", "required": True}],
                "failure": FAILURE_FIELDS,
            },
            "The reference lists no reply; updateMessageFrequency's success/failure assumed.",
        )
        for name in (
            "updateUserLanguagePrefByUsername",
            "updateUserLanguagePrefByPrintedCardNumber",
            "updateUserLanguagePrefByAccountId",
        )
    },
    **{
        name: (
            {
                "success": [
                    {"name": "result", "type": "string", "required": True},
                    {
                        "name": "walletInfo",
                        "type": "array<object>",
                        "required": True,
                        "object": "TransactionHistoryWalletInfo",
                    },
                    {
                        "name": "transactions",
                        "type": "array<object>",
                        "required": True,
                        "object": "TransactionHistoryTransaction",
                    },
                ],
                "failure": FAILURE_FIELDS,
            },
            "The success block lists no field; walletInfo and transactions from the example "
            "and the TransactionHistory* reply objects, result as every reply has it.",
        )
        for name in ("transactionHistory", "transactionHistoryByAccount")
    },
}

#: (object or endpoint/result, field) → (change, why)
FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "AddressInformation",
        "addressId",
        {},
        "The table says String, the userInformation example shows a number: String (the "
        "table). The sandbox sends a string; the client reads either (issue 10, section 4).",
    ),
    (
        "UserInformation",
        "accountIds",
        {},
        "The table says List[Int], the example shows strings: integers (the table).",
    ),
    (
        "UserInformation",
        "relatedGuests",
        {},
        "The example shows one object; the table says a list: a list.",
    ),
    (
        "TransactionHistoryWalletInfo",
        "name",
        {"type": "string"},
        "Typed Integer, but it is 'the name of the wallet' and the example is a string.",
    ),
    (
        "AccountFields",
        "favoriteStores",
        {"type": "array<object>"},
        "Typed Object, described as a list of stores: a list.",
    ),
    (
        "validateVisitCode/success",
        "codeInfo",
        {"type": "object"},
        "Typed String but 'See VisitCode', an object: an object.",
    ),
    (
        "validateVisitCode/invalidVisitCode",
        "codeInfo",
        {"type": "object"},
        "Typed String but 'See VisitCode', an object: an object.",
    ),
    *[
        (
            f"{endpoint}/success",
            name,
            {"required": False},
            "Marked (required) but sent 'if the account has stored value / charge enabled'; "
            "left out otherwise, as the eClub example does.",
        )
        for endpoint in (
            "accountInformation",
            "accountInformationById",
            "eClubAccountInformation",
        )
        for name in ("storedValueBalance", "chargeBalance")
    ],
]

#: Fields the sandbox sends beyond the table, by owner ("<endpoint>/<result>" or an object), with
#: their evidence. A client must not need them against real Paytronix unless the evidence is the
#: spec's own example; the contract tests allow exactly these.
_ACCOUNT_EXTRAS = {
    "accountId": "integer: in the spec's eClubAccountInformation example; the portal's guest "
    "URL is /guests/<accountId>/ (docs/wire-notes.md, guest page need 1).",
    "enrollmentStore": "object: in the spec's eClubAccountInformation example.",
}
EXTRAS: dict[str, dict[str, str]] = {
    "accountInformation/success": _ACCOUNT_EXTRAS,
    "accountInformationById/success": _ACCOUNT_EXTRAS,
    "eClubAccountInformation/success": {
        **_ACCOUNT_EXTRAS,
        "username": "string: as in accountInformation's reply, of which eClub's is a sibling.",
    },
    "AccountInformation": _ACCOUNT_EXTRAS,
    "UserFields": {
        "messageFrequency": "string: ASSUMED, sandbox-only (the spec has no read of the "
        "preference updateMessageFrequency writes; docs/wire-notes.md, guest page need 2).",
    },
    "TransactionHistoryTransaction": {
        "storeNumber": "string: the spec's history example names the store code storeNumber.",
    },
    "AddRedeemReply": {
        "pxTransactionId": "string: the reference lists no field of AddRedeemReply "
        "(docs/wire-notes.md).",
        "walletContents": "array<object>: the reference lists no field of AddRedeemReply.",
    },
}

#: The error code answering a missing, ill-typed or unknown parameter and a wrong merchantId,
#: per endpoint family. The reference documents codes per family, not per parameter.
ACCOUNT_FAMILY = "account_info.error"
REQUEST_ERRORS: dict[str, str] = {
    "attachCard": "attach_card.error",
    "attachAndCombine": "attach_card.error",
    "combineCard": "combine_card.error",
    "isCardCombinable": "combine_card.error",
    "transactionHistory": "transaction_history.error",
    "transactionHistoryByAccount": "transaction_history.error",
    "transactionAnnotation": "transaction_annotation.error",
    "changeCardStatus": "card_status.invalid_card",
}
PARAMETER_ERRORS: dict[str, dict[str, str]] = {
    "changeCardStatus": {"status": "card_status.invalid_status"},
    "validateReferralCode": {"code": "referral_code.invalid_code"},
}
MERCHANT_ERRORS = {"changeCardStatus": "card_status.invalid_merchant"}
#: attachAndCombine checks its request at the attach step.
REQUEST_ERROR_RESULTS = {"attachAndCombine": "attach_failure"}
REQUEST_ERROR_WHY = (
    "The reference has no per-parameter codes. A missing, ill-typed or unknown parameter and a "
    "wrong merchantId answer the endpoint family's own code: <family>.error 'Failed to perform "
    "operation' (card_status: invalid_card / invalid_status / invalid_merchant; "
    "validateReferralCode's code: referral_code.invalid_code). Endpoints whose family has no "
    "code (referrals, pending rewards, visit codes, preferences, migrateEmailAsUsername) act on "
    "an account and answer account_info.error."
)


def _name(path: str) -> str:
    return path.removeprefix("guest/").removesuffix(".json")


def _field(fields: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for entry in fields:
        if entry["name"] == name:
            return entry
    raise KeyError(f"decision names {name!r}, which the spec does not list")


def apply(parsed: Table) -> Table:
    """``parsed`` with every decision made and noted next to its entry."""
    table = copy.deepcopy(parsed)
    endpoints = {_name(e["path"]): e for e in table["endpoints"]}
    objects = table["objects"]
    for endpoint, name, change, why in PARAMETERS:
        _field(endpoints[endpoint]["params"], name).update(change, decision=why)
    for endpoint, (results, why) in RESULTS.items():
        endpoints[endpoint]["results"].update(copy.deepcopy(results))
        endpoints[endpoint]["resultsDecision"] = why
    # userAndAccountInformation nests an "AccountInformation" the reference never defines:
    # accountInformation.json's success reply without its result.
    success = endpoints["accountInformation"]["results"]["success"]
    objects["AccountInformation"] = [copy.deepcopy(f) for f in success if f["name"] != "result"]
    for owner, name, change, why in FIELDS:
        if "/" in owner:
            endpoint, result = owner.split("/")
            fields = endpoints[endpoint]["results"][result]
        else:
            fields = objects[owner]
        _field(fields, name).update(change, decision=why)
    for entry in objects["AccountInformation"]:
        if entry["name"] in ("storedValueBalance", "chargeBalance"):
            entry.update(required=False, decision="As in accountInformation's success reply.")
    for name, endpoint in endpoints.items():
        endpoint["requestError"] = REQUEST_ERRORS.get(name, ACCOUNT_FAMILY)
        endpoint["requestErrorResult"] = REQUEST_ERROR_RESULTS.get(name, "failure")
        endpoint["merchantError"] = MERCHANT_ERRORS.get(name, endpoint["requestError"])
        if name in PARAMETER_ERRORS:
            endpoint["parameterErrors"] = PARAMETER_ERRORS[name]
        if name in ONE_OF:
            endpoint["oneOf"] = ONE_OF[name]
        writes, why = WRITES.get(name, (endpoint["method"] == "POST", ""))
        endpoint["writes"] = writes
        if why:
            endpoint["writesDecision"] = why
    for name, choices in VALUES.items():
        for param, values in choices.items():
            listed = table["constants"][values] if isinstance(values, str) else values
            _field(endpoints[name]["params"], param)["values"] = list(listed)
    table["requestErrorDecision"] = REQUEST_ERROR_WHY
    table["writesDecision"] = WRITES_WHY
    table["sandboxExtras"] = copy.deepcopy(EXTRAS)
    return table
