"""Changes to cards, each one through the audit door (``portal.audit.door.mutation_run``).

One card at a time, in the request: enable and disable (``status``), attach and
attach-and-combine (``attach``), each answering a ``portal.audit.outcome.ChangeOutcome``.
Combine (``combine``) and bulk status changes (``bulk``) are jobs (``portal.jobs``), whose
items each make one write through the door. Every change takes the idempotency key of the form
it came from, so a double click, a refresh or a redelivered task finds the first outcome
instead of changing the card again.
"""
