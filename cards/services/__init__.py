"""Changes to cards, each one through the audit door (``portal.audit.services.mutation_run``).

One card at a time, in the request: enable and disable (``status``), attach (``attach``).
Combine and attach-and-combine (``combine``) and bulk status changes (``bulk``) are jobs
(``portal.jobs``). Every change takes the idempotency key of the form it came from, so a
double click, a refresh or a redelivered task finds the first outcome instead of changing the
card again.
"""
