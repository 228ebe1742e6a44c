"""Transaction Service: accountQuery, the guest search by phone, email, name, postal code.

It answers in the Transaction Service's own words, as public callers of that service see them:
``authorizedSuccess`` for success and ``userDataError`` with a ``transaction.*`` code for a
request it cannot answer (docs/wire-notes.md "Result words").
"""

from __future__ import annotations

from typing import Any

from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import ABANDONED, Model, User

CRITERIA = ("phone", "email", "firstName", "lastName", "postalCode")
DEFAULT_PAGE_SIZE = 25
SUCCESS = "authorizedSuccess"
DATA_ERROR = "userDataError"
REPLY_FIELDS = ("firstName", "lastName", "email", "phone", "mobilePhone", "postalCode", "city")


def _digits(value: object) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


def _matches(user: User, query: dict[str, Any]) -> bool:
    """All given criteria match: phone on digits (phone or mobile), the rest case-insensitive."""
    for name in CRITERIA:
        wanted = str(query.get(name) or "").strip()
        if not wanted:
            continue
        if name == "phone":
            phones = {
                _digits(user.fields.get("phone", "")),
                _digits(user.fields.get("mobilePhone", "")),
            }
            if _digits(wanted) not in phones:
                return False
        elif str(user.fields.get(name, "")).strip().lower() != wanted.lower():
            return False
    return True


@endpoint("transaction/accountQuery", "POST")
def account_query(request: Request) -> Json:
    queries = request.params.get("accountQueries")
    if not isinstance(queries, list):
        raise Failure("transaction.no_criteria", result=DATA_ERROR)
    queries = [q for q in queries if isinstance(q, dict) and any(q.get(c) for c in CRITERIA)]
    if not queries:
        raise Failure("transaction.no_criteria", result=DATA_ERROR)
    page_size = request.optional_integer("pageSize") or DEFAULT_PAGE_SIZE
    store_group = request.optional_integer("accessFilterStoreGroupCode")

    def read(model: Model) -> Json:
        found: list[Json] = []
        for user in model.users.values():
            if not any(_matches(user, q) for q in queries):
                continue
            for account_id in user.account_ids:
                account = model.accounts[account_id]
                if account.status == ABANDONED:
                    continue
                if store_group is not None and account.store_group != store_group:
                    continue
                found.append(
                    {
                        "accountId": account.account_id,
                        "printedCardNumber": account.primary_card,
                        "fieldValues": {f: user.fields.get(f, "") for f in REPLY_FIELDS},
                    }
                )
        return {"result": SUCCESS, "accounts": found[:page_size]}

    return request.state.read(read)
