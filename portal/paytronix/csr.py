"""CSR Service: account notes (vendor pages ``pxs_api_reference/csr.html``).

Both endpoints answer their own success words: ``addSuccess`` (the vendor's) and ``getSuccess``
(assumed). Those, and the comment object's field names, are in docs/wire-notes.md.
"""

from __future__ import annotations

from .endpoint import Endpoint
from .replies import AccountComment
from .session import Transport

ADD_ACCOUNT_COMMENT = Endpoint(
    "csr/addAccountComment.json", "POST", write=True, success="addSuccess"
)
ACCOUNT_COMMENTS = Endpoint("csr/accountComments.json", "GET", success="getSuccess")

#: The vendor: "Comment must be fewer than 500 characters."
MAX_COMMENT_LENGTH = 499


class CsrService:
    """The CSR Service endpoints, bound to one ``Transport``."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def add_account_comment(
        self, *, printed_card_number: str, comment: str, author: str
    ) -> AccountComment:
        """*Write*: add a note to the account of a card, signed by ``author`` (staff username)."""
        if not comment.strip() or len(comment) > MAX_COMMENT_LENGTH:
            raise ValueError(f"comment must be 1 to {MAX_COMMENT_LENGTH} characters")
        reply = self._transport.call(
            ADD_ACCOUNT_COMMENT,
            {
                "printedCardNumber": printed_card_number,
                "comment": {"comment": comment, "author": author},
            },
        )
        return AccountComment.from_wire(
            reply.get("comment") or {"comment": comment, "author": author}
        )

    def account_comments(self, *, printed_card_number: str) -> list[AccountComment]:
        """All notes on the account of a card, oldest first."""
        reply = self._transport.call(ACCOUNT_COMMENTS, {"printedCardNumber": printed_card_number})
        return [AccountComment.from_wire(item) for item in reply.get("comments") or []]
