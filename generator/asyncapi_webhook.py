"""Webhook delivery settings of an AsyncAPI source (see asyncapi): the
x-arazzo-webhook extension or the configuration's ``webhooks`` table, checked
(route, signature scheme, header, encoding) and turned into a WebhookConfig.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from .asyncapi_messages import _kind
from .asyncapi_model import SignatureConfig, WebhookConfig

#: RFC 9110 token characters: what an HTTP header name may be made of.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

SIGNATURE_SCHEMES = ("hmac-sha256", "stripe", "standard-webhooks")
ENCODINGS = ("hex", "base64")
#: The keys of x-arazzo-webhook and of its signature object.
WEBHOOK_KEYS = ("route", "signature")
ROUTE_KEYS = ("header", "payload")
SIGNATURE_KEYS = ("scheme", "header", "encoding", "prefix", "tolerance")
STANDARD_WEBHOOKS_HEADER = "webhook-signature"


def route_problem(kind: str, value: Any) -> tuple[str, str] | None:
    """What is wrong with a webhook route (message, hint), or None."""
    if kind == "header":
        if not isinstance(value, str) or not value or any(c not in _TCHARS for c in value):
            return (
                f"webhook route header {value!r} is not an HTTP header name",
                "write the name of the header that names the event, e.g. X-Event-Type",
            )
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        return (
            f"webhook route payload {value!r} is not a JSON pointer",
            "write a pointer to the member that names the event, e.g. /event or /data/type",
        )
    return None


def signature_problems(raw: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, message, hint) for each problem of a signature table (x-arazzo-webhook's
    ``signature`` or the configuration's, in the extension's key names)."""
    problems: list[tuple[str, str, str]] = []
    scheme = raw.get("scheme")
    if scheme not in SIGNATURE_SCHEMES:
        problems.append(
            (
                "scheme",
                f"unknown signature scheme {scheme!r}" if "scheme" in raw else "the signature has no scheme",
                "use one of " + ", ".join(SIGNATURE_SCHEMES),
            )
        )
        return problems
    header = raw.get("header")
    if scheme == "standard-webhooks":
        if "header" in raw and str(header).lower() != STANDARD_WEBHOOKS_HEADER:
            problems.append(
                (
                    "header",
                    f"standard-webhooks signatures are in the webhook-id, webhook-timestamp and webhook-signature headers, not {header!r}",
                    "remove header",
                )
            )
    elif "header" not in raw:
        problems.append(
            (
                "header",
                f"{'an' if scheme == 'hmac-sha256' else 'a'} {scheme} signature needs the header that carries it",
                "add header: e.g. X-Signature",
            )
        )
    elif route_problem("header", header) is not None:
        problems.append(
            (
                "header",
                f"signature header {header!r} is not an HTTP header name",
                "write the header's name, e.g. X-Signature",
            )
        )
    if "encoding" in raw:
        if scheme != "hmac-sha256":
            problems.append(
                ("encoding", f"encoding applies to hmac-sha256 signatures, not {scheme}", "remove encoding")
            )
        elif raw["encoding"] not in ENCODINGS:
            problems.append(("encoding", f"unknown signature encoding {raw['encoding']!r}", "use hex or base64"))
    if "prefix" in raw:
        if scheme != "hmac-sha256":
            problems.append(("prefix", f"prefix applies to hmac-sha256 signatures, not {scheme}", "remove prefix"))
        elif not isinstance(raw["prefix"], str):
            problems.append(
                (
                    "prefix",
                    f"signature prefix must be a string, not {_kind(raw['prefix'])}",
                    "write e.g. prefix: 'sha256='",
                )
            )
    if "tolerance" in raw:
        tolerance = raw["tolerance"]
        if scheme == "hmac-sha256":
            problems.append(
                (
                    "tolerance",
                    "tolerance applies to stripe and standard-webhooks signatures (they carry a timestamp), not hmac-sha256",
                    "remove tolerance",
                )
            )
        elif not isinstance(tolerance, int) or isinstance(tolerance, bool) or tolerance < 0:
            problems.append(
                (
                    "tolerance",
                    f"signature tolerance must be a whole number of seconds >= 0, not {tolerance!r}",
                    "write e.g. tolerance: 300",
                )
            )
    return problems


def _signature(raw: Mapping[str, Any]) -> SignatureConfig:
    scheme = cast(Literal["hmac-sha256", "stripe", "standard-webhooks"], raw["scheme"])
    header = str(raw.get("header", STANDARD_WEBHOOKS_HEADER if scheme == "standard-webhooks" else ""))
    return SignatureConfig(
        scheme,
        STANDARD_WEBHOOKS_HEADER if scheme == "standard-webhooks" else header,
        cast(Literal["hex", "base64"], raw.get("encoding", "hex")),
        str(raw.get("prefix", "")),
        int(raw.get("tolerance", 300)),
    )


#: The configuration's keys (``webhooks = { <source> = { ... } }``) and the extension's names for them.
CONFIG_KEYS = {
    "route-header": ("route", "header"),
    "route-payload": ("route", "payload"),
    "signature": ("signature", "scheme"),
    "signature-header": ("signature", "header"),
    "encoding": ("signature", "encoding"),
    "prefix": ("signature", "prefix"),
    "tolerance": ("signature", "tolerance"),
}


def webhook_from_config(table: Mapping[str, Any]) -> WebhookConfig:
    """The WebhookConfig of a configuration ``webhooks`` entry (checked by config.py)."""
    route: tuple[Literal["header", "payload"], str] | None = None
    if "route-header" in table:
        route = ("header", str(table["route-header"]))
    elif "route-payload" in table:
        route = ("payload", str(table["route-payload"]))
    signature = None
    if "signature" in table:
        signature = _signature({CONFIG_KEYS[k][1]: v for k, v in table.items() if CONFIG_KEYS[k][0] == "signature"})
    return WebhookConfig(route, signature, ())
