"""Webhooks: routing a delivery to its channel, and the signature verifiers (HMAC-SHA256,
Stripe-style, Standard Webhooks) with their replay memory.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .events_base import MAX_REPLAY_RECORDS
from .values import pointer

# -- routes and signature verifiers ------------------------------------------------------

#: Which channel a webhook belongs to, from its headers (lower-case names) and parsed
#: payload: the channel address, or None when it names none (the receiver answers 422).
Route = Callable[[Mapping[str, str], Any], "str | None"]


def route_by_header(name: str) -> Route:
    """The channel is the value of header ``name`` (e.g. ``X-VoiceInfra-Event: call.completed``)."""
    key = name.lower()

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        value = headers.get(key, "").strip()
        return value or None

    return route


def route_by_payload(path: str) -> Route:
    """The channel is the string at JSON pointer ``path`` in the payload (e.g. ``/event``)."""

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        value = pointer(payload, path)
        return value if isinstance(value, str) and value else None

    return route


def route_to(channel: str) -> Route:
    """Every webhook belongs to ``channel`` (a receiver URL per event type)."""

    def route(headers: Mapping[str, str], payload: Any) -> str | None:
        return channel

    return route


class Verifier(Protocol):
    """Checks a webhook's signature before it is parsed or matched."""

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """None when ``body`` (the raw bytes) is signed as it should be, else why not
        (a :class:`Replayed` reason when it was delivered before).  ``headers`` have
        lower-case names.  The reason never quotes a secret or a signature."""
        ...


class Replayed(str):
    """A verifier's reason saying that the message was delivered before (the receiver answers 409)."""

    __slots__ = ()


def _secret_bytes(secret: str | bytes, what: str) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError(f"the {what} secret is empty")
    return key


def _base64_bytes(text: str) -> bytes:
    """The bytes a base64 signature spells (padding optional); empty when it is not base64."""
    text = text.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _remembered_until(when: int, tolerance: float | None) -> float:
    """How long a signed delivery is remembered against replays: while its timestamp is
    within the tolerance (no tolerance: until MAX_REPLAY_RECORDS newer ones push it out).
    """
    return math.inf if tolerance is None else when + tolerance


class _Seen:
    """What a verifier saw recently, to reject replays: at most MAX_REPLAY_RECORDS keys,
    each until its own expiry (on the verifier's clock); thread-safe."""

    def __init__(
        self, clock: Callable[[], float], limit: int = MAX_REPLAY_RECORDS
    ) -> None:
        self.clock = clock
        self.limit = limit
        self._lock = threading.Lock()
        self._keys: collections.OrderedDict[bytes, float] = collections.OrderedDict()

    def first(self, key: bytes, until: float) -> bool:
        """Remember ``key`` until ``until``; False when it was seen before (a replay)."""
        with self._lock:
            now = self.clock()
            while self._keys:  # bounded: each pass forgets one key
                oldest, expiry = next(iter(self._keys.items()))
                if expiry >= now:
                    break
                del self._keys[oldest]
            if key in self._keys and self._keys[key] >= now:
                return False
            self._keys[key] = until
            self._keys.move_to_end(key)
            while len(self._keys) > self.limit:
                self._keys.popitem(last=False)
            return True


class HmacSha256Verifier:
    """HMAC-SHA256 of the raw body with the shared ``secret``, in header ``header``:
    ``encoding`` "hex" or "base64", after ``prefix`` (e.g. ``sha256=``, as GitHub
    writes it).  A body and signature delivered again are rejected as a replay
    (``reject_replays=False`` accepts them: without a timestamp a replay cannot be
    told from a retry)."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        header: str,
        encoding: str = "hex",
        prefix: str = "",
        reject_replays: bool = True,
    ) -> None:
        if encoding not in ("hex", "base64"):
            raise ValueError(f"encoding must be 'hex' or 'base64', not {encoding!r}")
        self._key = _secret_bytes(secret, "HMAC-SHA256")
        self.header = header
        self.encoding = encoding
        self.prefix = prefix
        self._seen = _Seen(time.monotonic) if reject_replays else None

    def __repr__(self) -> str:
        return f"HmacSha256Verifier(header={self.header!r}, encoding={self.encoding!r}, prefix={self.prefix!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        value = headers.get(self.header.lower())
        if value is None:
            return f"no {self.header} header"
        value = value.strip()
        if not value.startswith(self.prefix):
            return f"the {self.header} header does not start with {self.prefix!r}"
        given = value[len(self.prefix) :].strip().encode("utf-8", "replace")
        digest = hmac.new(self._key, body, hashlib.sha256).digest()
        if self.encoding == "hex":
            good = hmac.compare_digest(digest.hex().encode("ascii"), given.lower())
        else:
            good = hmac.compare_digest(
                digest, _base64_bytes(given.decode("utf-8", "replace"))
            )
        if not good:
            return f"the {self.header} header does not hold the HMAC-SHA256 of the body"
        if self._seen is not None and not self._seen.first(digest, math.inf):
            return Replayed("this body and signature were delivered before (a replay)")
        return None


class StripeVerifier:
    """Stripe-style signatures: header ``header`` holds ``t=<unix time>,v1=<hex>`` (more
    ``v1=`` entries while a secret is rolled over), the HMAC-SHA256 of
    ``"<t>.<raw body>"`` with ``secret``; the timestamp must be within ``tolerance``
    seconds of ``clock()`` (None: any time), and a signature seen before is rejected as
    a replay."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        header: str = "Stripe-Signature",
        tolerance: float | None = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = _secret_bytes(secret, "Stripe-style")
        self.header = header
        self.tolerance = tolerance
        self.clock = clock
        self._seen = _Seen(clock)

    def __repr__(self) -> str:
        return f"StripeVerifier(header={self.header!r}, tolerance={self.tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        value = headers.get(self.header.lower())
        if value is None:
            return f"no {self.header} header"
        stamp: str | None = None
        signatures: list[bytes] = []
        for item in value.split(","):
            name, part = item.strip().partition("=")[::2]
            if name == "t":
                stamp = part.strip()
            elif name == "v1":
                signatures.append(part.strip().lower().encode("utf-8", "replace"))
        if stamp is None or not re.fullmatch(r"[0-9]{1,12}", stamp):
            return f"the {self.header} header has no t=<unix time>"
        if not signatures:
            return f"the {self.header} header has no v1= signature"
        expected = (
            hmac.new(self._key, stamp.encode("ascii") + b"." + body, hashlib.sha256)
            .hexdigest()
            .encode("ascii")
        )
        good = False
        for signature in signatures:  # all compared: no early exit
            good = hmac.compare_digest(expected, signature) or good
        if not good:
            return f"the {self.header} header holds no valid v1 signature of this body"
        when = int(stamp)
        if self.tolerance is not None and abs(self.clock() - when) > self.tolerance:
            return f"the {self.header} timestamp is more than {self.tolerance:g} s away from now"
        if not self._seen.first(expected, _remembered_until(when, self.tolerance)):
            return Replayed("this signature was delivered before (a replay)")
        return None


class StandardWebhooksVerifier:
    """Standard Webhooks (https://www.standardwebhooks.com): headers ``webhook-id``,
    ``webhook-timestamp`` (unix seconds) and ``webhook-signature`` (space-separated
    ``v1,<base64>`` entries), the HMAC-SHA256 of ``"<id>.<timestamp>.<raw body>"``
    with the secret (``whsec_<base64>``, or the key's bytes); the timestamp must be
    within ``tolerance`` seconds of ``clock()`` (None: any time), and a webhook-id seen
    before is rejected as a replay."""

    def __init__(
        self,
        secret: str | bytes,
        *,
        tolerance: float | None = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secret, str):
            encoded = secret.removeprefix("whsec_").strip()
            try:
                key = base64.b64decode(
                    encoded + "=" * (-len(encoded) % 4), validate=True
                )
            except (binascii.Error, ValueError):
                raise ValueError(
                    "the Standard Webhooks secret is not whsec_ followed by base64"
                ) from None
        else:
            key = bytes(secret)
        if not key:
            raise ValueError("the Standard Webhooks secret is empty")
        self._key = key
        self.tolerance = tolerance
        self.clock = clock
        self._seen = _Seen(clock)

    def __repr__(self) -> str:
        return f"StandardWebhooksVerifier(tolerance={self.tolerance!r})"

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        message_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        value = headers.get("webhook-signature")
        for name, got in (
            ("webhook-id", message_id),
            ("webhook-timestamp", stamp),
            ("webhook-signature", value),
        ):
            if got is None:
                return f"no {name} header"
        assert message_id is not None and stamp is not None and value is not None
        stamp = stamp.strip()
        if not re.fullmatch(r"[0-9]{1,12}", stamp):
            return "the webhook-timestamp header is not a unix time"
        signed = (
            message_id.encode("utf-8", "replace")
            + b"."
            + stamp.encode("ascii")
            + b"."
            + body
        )
        expected = hmac.new(self._key, signed, hashlib.sha256).digest()
        good = False
        for entry in value.split():  # all compared: no early exit
            version, signature = entry.partition(",")[::2]
            if version == "v1":
                good = hmac.compare_digest(expected, _base64_bytes(signature)) or good
        if not good:
            return "the webhook-signature header holds no valid v1 signature of this message"
        when = int(stamp)
        if self.tolerance is not None and abs(self.clock() - when) > self.tolerance:
            return (
                f"the webhook-timestamp is more than {self.tolerance:g} s away from now"
            )
        if not self._seen.first(
            b"id:" + message_id.encode("utf-8", "replace"),
            _remembered_until(when, self.tolerance),
        ):
            return Replayed("this webhook-id was delivered before (a replay)")
        return None
