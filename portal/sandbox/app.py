"""The sandbox as a plain WSGI application (standard library only, no Django).

Routes ``/rest/<release>/<service>/<endpoint>.json`` to the registered endpoints after HTTP
Basic auth and the merchant check, applies the faults, and serves the control endpoints under
``/_sandbox/`` (same Basic auth):

* ``GET /_sandbox/state``: counts of the seeded data, changes not yet visible, faults.
* ``POST /_sandbox/reset``: back to the seed; faults cleared unless ``{"keepFaults": true}``.
* ``GET /_sandbox/faults``; ``POST /_sandbox/faults`` with ``{"rules": [...],
  "consistencyDelay": 2, "mode": "replace"|"add"}``; ``DELETE /_sandbox/faults``.
* ``POST /_sandbox/clock`` with ``{"advance": 30}``: move the sandbox clock (consistency
  delays, visit code expiry) without waiting.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from portal.sandbox import authentication, contract, styles
from portal.sandbox.endpoints import ENDPOINTS, Endpoint, Request
from portal.sandbox.errors import Failure
from portal.sandbox.faults import DropConnection, FaultRule, Faults
from portal.sandbox.state import State

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

ROUTE = re.compile(r"/rest/(?P<release>[^/]+)/(?P<service>[A-Za-z]+)/(?P<name>[A-Za-z]+)\.json")
JSON_TYPE = "application/json;charset=UTF-8"
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
MAX_BODY = 1_000_000


class Reply:
    """An HTTP answer: status, headers, body bytes."""

    def __init__(
        self, status: int, body: bytes, content_type: str = JSON_TYPE, **headers: str
    ) -> None:
        self.status = status
        self.body = body
        self.headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        self.headers += [(name.replace("_", "-"), value) for name, value in headers.items()]

    @classmethod
    def json(cls, payload: dict[str, Any], status: int = 200, **headers: str) -> Reply:
        return cls(status, json.dumps(payload).encode(), **headers)

    def send(self, start_response: StartResponse) -> list[bytes]:
        start_response(f"{self.status} {REASONS.get(self.status, 'Error')}", self.headers)
        return [self.body]


def _failure(status: int, code: str, message: str, **headers: str) -> Reply:
    return Reply.json(
        {"result": "failure", "errorCode": code, "errorMessage": message}, status, **headers
    )


class SandboxApp:
    """The WSGI callable; see the module docstring. Arguments are plain values, not settings."""

    def __init__(
        self,
        *,
        state: State,
        faults: Faults,
        username: str,
        secret: str,
        merchant_id: int,
        release: str,
        reply_style: str = styles.NESTED,
        without: Iterable[str] = (),
        strict: bool = False,
    ) -> None:
        self.state = state
        #: Refuse unknown parameters and wrong JSON types (tests) rather than log them.
        self.strict = strict
        self.faults = faults
        self.merchant_id = merchant_id
        self.release = release
        #: How userInformation replies are spelled (``styles``); tests switch it per test.
        self.reply_style = styles.checked_style(reply_style)
        #: Services ("csr") or endpoints ("transaction/accountQuery") this integration lacks:
        #: answered 404, as an upstream without them would.
        self.without = frozenset(without)
        self._credentials = f"{username}:{secret}".encode()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if not self._authorized(environ):
            return _failure(
                401,
                "request.unauthorized",
                "Invalid integration credentials",
                WWW_Authenticate='Basic realm="Paytronix sandbox"',
            ).send(start_response)
        if path.startswith("/_sandbox/"):
            return self._control(path, method, environ).send(start_response)
        route = ROUTE.fullmatch(path)
        key = f"{route['service']}/{route['name']}" if route else ""
        found = ENDPOINTS.get(key)
        missing = route is not None and ({route["service"], key} & self.without)
        if route is None or route["release"] != self.release or found is None or missing:
            return _failure(404, "request.unknown_endpoint", f"No endpoint at {path}").send(
                start_response
            )
        if method != found.method:
            return _failure(
                405,
                "request.method_not_allowed",
                f"{key}.json takes {found.method}",
                Allow=found.method,
            ).send(start_response)
        return self._serve(key, found, method, environ).send(start_response)

    # -- the API -----------------------------------------------------------------------------

    def _serve(self, key: str, found: Endpoint, method: str, environ: dict[str, Any]) -> Reply:
        plan = self.faults.plan(key, method)
        self.faults.wait(plan.latency)
        fault = plan.fault
        if fault is not None and not fault.processes:
            return self._fault(fault, None)
        reply = self._answer(key, found, method, environ)
        return reply if fault is None else self._fault(fault, reply)

    def _answer(self, key: str, found: Endpoint, method: str, environ: dict[str, Any]) -> Reply:
        try:
            # A DELETE carries its parameters in the query string, as a GET does.
            params = self._params("GET" if method == "DELETE" else method, environ)
        except ValueError as problem:
            return _failure(400, "request.malformed_json", str(problem))
        terms = contract.endpoints().get(key)
        try:
            self.state.read(lambda model: authentication.check(key.split("/")[0], params, model))
            if terms is None:
                self._check_merchant(params, found.merchant_error)
                payload = found.handler(Request(params, self.state))
            else:
                self._check_request(terms, params)
                self._check_merchant(params, terms.merchant_error, terms.request_error_result)
                payload = found.handler(
                    Request(params, self.state, terms.request_error, terms.request_error_result)
                )
            return Reply.json(styles.restyle(payload, self.reply_style))
        except authentication.StyleRefused as refused:
            return _failure(403, authentication.NOT_ACCEPTED, refused.message)
        except Failure as refused:
            return Reply.json(refused.reply())
        except Exception:
            logger.exception("sandbox endpoint failed")
            return _failure(500, "system.internal_error", "An internal error occurred")

    @staticmethod
    def _params(method: str, environ: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            return {name: values[-1] for name, values in query.items()}
        body = _read_body(environ)
        if not body.strip():
            return {}
        try:
            params = json.loads(body)
        except ValueError:
            raise ValueError("The request body is not valid JSON") from None
        if not isinstance(params, dict):
            raise ValueError("The request body must be a JSON object")
        return params

    def _check_request(self, terms: contract.EndpointContract, params: dict[str, Any]) -> None:
        """Hold a Guest Service request to the contract's table (see ``portal.sandbox.contract``).

        Refused with the endpoint family's code: a missing parameter, a value outside its list,
        and in the strict mode an unknown parameter or a wrong JSON type. Outside the strict
        mode those two are logged (names only: values may be card numbers or passwords).
        """
        styled = authentication.style_parameters(params)
        own = {
            name: value
            for name, value in params.items()
            if name not in styled or terms.param(name) is not None
        }
        problems = contract.request_problems(terms, own)
        refused = problems.refused + (problems.loose if self.strict else [])
        if refused:
            name, sentence = refused[0]
            code = terms.parameter_errors.get(name, terms.request_error)
            raise Failure(code, sentence, result=terms.request_error_result)
        for _name, sentence in problems.loose:
            logger.warning("sandbox request to %s outside the contract: %s", terms.path, sentence)

    def _check_merchant(
        self, params: dict[str, Any], error_code: str, result: str = "failure"
    ) -> None:
        merchant = params.get("merchantId")
        header = params.get("headerInfo")
        if merchant in (None, "") and isinstance(header, dict):
            # Transaction Service requests carry it in headerInfo.
            merchant = header.get("merchantId")
        if merchant in (None, ""):
            raise Failure("request.missing_argument", "Missing required argument: merchantId")
        if str(merchant).strip() != str(self.merchant_id):
            raise Failure(error_code, "Invalid merchant ID", result=result)

    def _fault(self, fault: FaultRule, reply: Reply | None) -> Reply:
        if fault.kind == "error":
            headers = {"Retry_After": str(fault.retry_after)} if fault.retry_after else {}
            page = f"<html><body><h1>{fault.status} {REASONS.get(fault.status, 'Error')}</h1>"
            return Reply(fault.status, f"{page}</body></html>".encode(), "text/html", **headers)
        if fault.kind == "hang":
            self.faults.wait(fault.seconds)
            if reply is None:
                raise DropConnection
            return reply
        if fault.kind == "malformed":
            body = reply.body if reply is not None else b'{"result": "success", "accountId": 1}'
            return Reply(200, body[: max(1, len(body) // 2)])
        raise DropConnection

    # -- control ------------------------------------------------------------------------------

    def _control(self, path: str, method: str, environ: dict[str, Any]) -> Reply:
        try:
            body = self._params(method, environ) if method in ("POST", "DELETE") else {}
        except ValueError as problem:
            return _failure(400, "request.malformed_json", str(problem))
        try:
            return self._control_action(path.removeprefix("/_sandbox/").strip("/"), method, body)
        except (TypeError, ValueError) as problem:
            return _failure(400, "request.invalid_argument", str(problem))

    def _control_action(self, action: str, method: str, body: dict[str, Any]) -> Reply:
        if (action, method) == ("state", "GET"):
            return Reply.json({**self.state.summary(), "faults": self.faults.snapshot()})
        if (action, method) == ("reset", "POST"):
            self.state.reset()
            if not body.get("keepFaults"):
                self.faults.clear()
            return Reply.json({"result": "success"})
        if (action, method) == ("faults", "GET"):
            return Reply.json(self.faults.snapshot())
        if (action, method) == ("faults", "POST"):
            self.faults.set(body)
            return Reply.json(self.faults.snapshot())
        if (action, method) == ("faults", "DELETE"):
            self.faults.clear()
            return Reply.json(self.faults.snapshot())
        if (action, method) == ("clock", "POST"):
            self.state.advance(float(body.get("advance", 0)))
            return Reply.json({"result": "success", "now": self.state.now().isoformat()})
        return _failure(404, "request.unknown_endpoint", f"No control action {action!r}")

    def _authorized(self, environ: dict[str, Any]) -> bool:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(given, self._credentials)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None or length <= 0:
        return b""
    return bytes(stream.read(min(length, MAX_BODY)))


def make_app(
    *,
    username: str,
    secret: str,
    merchant_id: int,
    release: str,
    seed: int | None = None,
    combine_suspend_threshold: int | None = None,
    reply_style: str = styles.NESTED,
    without: Iterable[str] = (),
    strict: bool = False,
) -> SandboxApp:
    """A ready sandbox: seeded state, empty faults, the given credentials and release; replies
    in ``reply_style``; the services or endpoints in ``without`` missing (404)."""
    faults = Faults()
    options: dict[str, Any] = {}
    if seed is not None:
        options["seed"] = seed
    if combine_suspend_threshold is not None:
        options["combine_suspend_threshold"] = combine_suspend_threshold
    state = State(consistency_delay=lambda: faults.consistency_delay, **options)
    return SandboxApp(
        state=state,
        faults=faults,
        username=username,
        secret=secret,
        merchant_id=merchant_id,
        release=release,
        reply_style=reply_style,
        without=without,
        strict=strict,
    )
