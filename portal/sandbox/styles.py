"""How the sandbox spells its replies where the vendor's page and live clients disagree.

``nested`` is the spec: ``accountIds``, ``fields`` and ``primaryCardNumbers`` sit inside
``userInformation``. ``top_level`` is what clients of release 19.x read: those three at the top
level of the reply, the rest of ``userInformation`` where it was. The client reads both; its
tests run against both (docs/wire-notes.md "What the client accepts").
"""

from __future__ import annotations

from typing import Any

NESTED = "nested"
TOP_LEVEL = "top_level"
REPLY_STYLES = (NESTED, TOP_LEVEL)
HOISTED = ("accountIds", "fields", "primaryCardNumbers")


def checked_style(style: str) -> str:
    if style not in REPLY_STYLES:
        raise ValueError(f"reply style must be one of {', '.join(REPLY_STYLES)}, not {style!r}")
    return style


def restyle(payload: dict[str, Any], style: str) -> dict[str, Any]:
    """``payload`` as ``style`` spells it (a new dict; the nested spelling is the input)."""
    nested = payload.get("userInformation")
    if style == NESTED or not isinstance(nested, dict):
        return payload
    hoisted = {key: nested[key] for key in HOISTED if key in nested}
    rest = {key: value for key, value in nested.items() if key not in HOISTED}
    return {**payload, **hoisted, "userInformation": rest}
