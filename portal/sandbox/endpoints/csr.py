"""CSR Service: account comments (notes) by printed card number."""

from __future__ import annotations

from datetime import datetime

from portal.sandbox.endpoints import lookups
from portal.sandbox.endpoints.registry import Json, Request, endpoint
from portal.sandbox.errors import Failure
from portal.sandbox.model import AccountComment, Model, wire_datetime

#: "Comment must be fewer than 500 characters."
MAX_COMMENT = 499


@endpoint("csr/addAccountComment", "POST")
def add_account_comment(request: Request) -> Json:
    number = request.text("printedCardNumber")
    summary = request.params.get("comment")
    if not isinstance(summary, dict):
        raise Failure("request.missing_argument", "Missing required argument: comment")
    text = str(summary.get("comment") or "").strip()
    author = str(summary.get("author") or "").strip()
    if not text or len(text) > MAX_COMMENT:
        raise Failure("csr.invalid_comment")

    def write(model: Model, moment: datetime) -> Json:
        account, _ = lookups.account_by_card(model, number, "csr.invalid_card")
        account.comments.append(AccountComment(text, author, moment))
        return {"result": "addSuccess", "comment": {"comment": text, "author": author}}

    return request.state.write(write)


@endpoint("csr/accountComments", "GET")
def account_comments(request: Request) -> Json:
    number = request.text("printedCardNumber")

    def read(model: Model) -> Json:
        account, _ = lookups.account_by_card(model, number, "csr.invalid_card")
        return {
            "result": "getSuccess",
            "comments": [
                {
                    "comment": c.comment,
                    "author": c.author,
                    "dateCreated": wire_datetime(c.created),
                }
                for c in account.comments
            ],
        }

    return request.state.read(read)
