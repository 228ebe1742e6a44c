"""Walk a whole URLconf and turn every pattern into a concrete path a test can request.

Path converters and regex groups are filled with sample values; the walker checks that each
built path resolves back to the pattern it came from, so a test never silently requests a
different view than the one it believes it is checking.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

# Tried in order for every converter or regex group; the first one the pattern accepts wins.
SAMPLE_VALUES: tuple[str, ...] = (
    "1",
    "sample",
    "00000000-0000-4000-8000-000000000001",
    "6000000000000001",
    "sample/path",
    "",
)

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")
_NAMED_GROUP_START = re.compile(r"\(\?P<(?P<name>\w+)>")


class UnbuildablePatternError(AssertionError):
    """No sample value satisfies a pattern: add one to SAMPLE_VALUES."""


@dataclass(frozen=True)
class Endpoint:
    path: str
    name: str
    namespaces: tuple[str, ...]
    view: Callable[..., Any]

    @property
    def in_admin(self) -> bool:
        return "admin" in self.namespaces

    @property
    def access_policy(self) -> object:
        return getattr(self.view, "access_policy", None)

    def __str__(self) -> str:
        return f"{self.path} ({self.name})"


def _fill_route(pattern: RoutePattern, values: Mapping[str, str], prefix: str) -> str:
    route = str(pattern)

    def sample(match: re.Match[str]) -> str:
        converter = pattern.converters[match["parameter"]]
        parameter = match["parameter"]
        given = values.get(f"{prefix}<{parameter}>") or values.get(parameter)
        for value in (given, *SAMPLE_VALUES) if given else SAMPLE_VALUES:
            if value and re.fullmatch(converter.regex, value):
                return str(converter.to_url(converter.to_python(value)))
        raise UnbuildablePatternError(f"no sample value fits <{match[0]}> in {route!r}")

    return _ROUTE_PARAMETER.sub(sample, route)


def _group_end(regex: str, start: int) -> int:
    """Index just past the parenthesis that closes the group opening at ``start``."""
    depth = 0
    index = start
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise UnbuildablePatternError(f"unbalanced group in {regex!r}")


def _fill_regex(pattern: RegexPattern) -> str:
    regex = str(pattern)
    built: list[str] = []
    position = 0
    while (opening := _NAMED_GROUP_START.search(regex, position)) is not None:
        end = _group_end(regex, opening.start())
        body = regex[opening.end() : end - 1]
        # A choice of literals (the admin's app labels) offers its own first choice.
        choices = body.split("|")[:1] if re.fullmatch(r"[\w-]+(\|[\w-]+)*", body) else []
        value = next((v for v in (*choices, *SAMPLE_VALUES) if re.fullmatch(body, v)), None)
        if value is None:
            raise UnbuildablePatternError(f"no sample value fits group {body!r} in {regex!r}")
        built += [regex[position : opening.start()], value]
        position = end
    built.append(regex[position:])
    candidate = "".join(built).removeprefix("^").removesuffix("$").replace("\\", "")
    if not re.fullmatch(regex, candidate):
        raise UnbuildablePatternError(f"cannot build a path for {regex!r}")
    return candidate


def _fill(pattern: object, values: Mapping[str, str], prefix: str) -> str:
    if isinstance(pattern, RoutePattern):
        return _fill_route(pattern, values, prefix)
    if isinstance(pattern, RegexPattern):
        return _fill_regex(pattern)
    raise UnbuildablePatternError(f"unknown pattern type {type(pattern).__name__}")


def _walk(
    resolver: URLResolver, prefix: str, namespaces: tuple[str, ...], values: Mapping[str, str]
) -> Iterator[tuple[str, tuple[str, ...], URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, prefix + _fill(entry.pattern, values, prefix), inner, values)
        else:
            yield prefix + _fill(entry.pattern, values, prefix), namespaces, entry


def every_endpoint(
    urlconf: str | None = None, values: Mapping[str, str] | None = None
) -> list[Endpoint]:
    """Every view reachable through ``urlconf`` (default: settings.ROOT_URLCONF).

    ``values`` fills route parameters by name (``{"account_id": "9000001"}``) where the
    converter accepts the value, so a walk can reach real records instead of sample ids; a key
    with the path before the parameter (``"admin/auth/group/<object_id>"``) fills it there only
    (the admin's object pages share one parameter name across models)."""
    endpoints = []
    for route, namespaces, pattern in _walk(get_resolver(urlconf), "", (), values or {}):
        path = "/" + route
        resolved = resolve(path, urlconf)
        if resolved.func is not pattern.callback:
            raise UnbuildablePatternError(
                f"{path} resolves to {resolved.view_name or resolved.func!r}, not to "
                f"{pattern.name or pattern.callback!r}: another pattern shadows it"
            )
        label = ":".join((*namespaces, pattern.name)) if pattern.name else f"<unnamed {path}>"
        endpoints.append(Endpoint(path, label, namespaces, pattern.callback))
    return endpoints
