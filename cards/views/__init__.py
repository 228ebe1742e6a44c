"""Card screens: thin views that check access, validate a form, call one service or selector,
and render. A card is named in the URL by its account id and masked number only.

Every change is POST then redirect (a refresh of the result page changes nothing), and every
form carries the idempotency key minted when it was shown (a double click or a resubmitted
form gets the first outcome back). With htmx a form swaps itself; without it, it is a plain
form and the same view answers with a page.
"""
