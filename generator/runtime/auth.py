"""Authorization header values of a step's security schemes (bearer, basic)."""

from __future__ import annotations

import base64
from typing import Any


def bearer(token: str | None) -> str | None:
    """An ``Authorization: Bearer`` value, or None without a token."""
    return None if token is None else f"Bearer {token}"


def basic_auth(username: str | None, password: str | None) -> str | None:
    """An ``Authorization: Basic`` value (RFC 7617), or None without credentials."""
    if username is None or password is None:
        return None
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode(
        "ascii"
    )


def first_of(*values: Any) -> Any:
    """The first value that is not None (one header, several ways to authenticate)."""
    return next((value for value in values if value is not None), None)
