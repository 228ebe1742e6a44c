"""Transaction Service (B2B): account search (vendor page ``pxs_api_reference/transaction.html``).

The vendor sends accountQuery as a POST. It changes nothing, so a transport fault on it is a
plain ``TransportError`` (not "outcome unknown"), but like every POST it is not retried.
Transaction Service requests carry ``headerInfo.merchantId`` and ``"authentication": "b2b"``;
the shape, mostly assumed, and the result words are in docs/wire-notes.md.
"""

from __future__ import annotations

from .endpoint import Endpoint
from .replies import AccountQueryMatch
from .session import Transport

#: Success is ``success`` by our first reading and ``authorizedSuccess`` by the calls of the
#: Transaction Service seen in public code; data errors come as ``userDataError`` with
#: ``transaction.*`` codes. Every call says ``"authentication": "b2b"``, as those callers do.
ACCOUNT_QUERY = Endpoint(
    "transaction/accountQuery.json",
    "POST",
    errors=frozenset({"userDataError"}),
    also_success=frozenset({"authorizedSuccess"}),
    authentication="b2b",
)


class TransactionService:
    """The Transaction Service endpoints the console uses, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def account_query(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        postal_code: str | None = None,
        page_size: int | None = None,
        access_filter_store_group_code: int | None = None,
    ) -> list[AccountQueryMatch]:
        """Accounts matching every criterion given (at least one); an empty list if none.

        ``access_filter_store_group_code`` limits the matches to one store group, as it does
        for accountInformation (a store manager's scope); agreed with the sandbox, not in the
        vendor text we could read.
        """
        criteria = {
            "phone": phone,
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "postalCode": postal_code,
        }
        criteria = {key: value for key, value in criteria.items() if value}
        if not criteria:
            raise ValueError(
                "give at least one of phone, email, first_name, last_name, postal_code"
            )
        reply = self._transport.call(
            ACCOUNT_QUERY,
            {
                "headerInfo": {"merchantId": self._transport.config.merchant_id},
                "pageSize": page_size,
                "accessFilterStoreGroupCode": access_filter_store_group_code,
                "accountQueries": [criteria],
            },
        )
        return [AccountQueryMatch.from_wire(item) for item in reply.get("accounts") or []]
