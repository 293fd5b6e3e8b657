"""OAuth 2.0 client credentials: the access token of a step's security scheme."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .auth import basic_auth
from .errors import StepFailed
from .values import maybe_json

if TYPE_CHECKING:
    from .run import AsyncRun, Run


def _token_request(client_id: str, client_secret: str, scopes: str) -> dict[str, Any]:
    form = {"grant_type": "client_credentials"}
    if scopes:
        form["scope"] = scopes
    return {
        "headers": {
            "Authorization": basic_auth(client_id, client_secret),
            "Accept": "application/json",
        },
        "data": form,
    }


def _access_token(
    step_id: str, response: httpx.Response, secrets: Sequence[object]
) -> str:
    if not response.is_success:
        raise StepFailed.from_response(
            step_id,
            response,
            reason="the OAuth 2.0 token request failed",
            secrets=secrets,
        )
    token = maybe_json(response)
    if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
        raise StepFailed.from_response(
            step_id,
            response,
            reason="the OAuth 2.0 token response has no access_token",
            secrets=secrets,
        )
    return str(token["access_token"])


def client_credentials(
    run: Run,
    step_id: str,
    token_url: str,
    client_id: str | None,
    client_secret: str | None,
    scopes: str,
    cache: dict[str, str],
) -> str | None:
    """An access token from the token endpoint (client authenticated with HTTP Basic,
    RFC 6749 4.4), requested once per run and kept in ``cache``; None without credentials.
    """
    if client_id is None or client_secret is None:
        return None
    key = f"{token_url} {client_id} {scopes}"
    if key not in cache:
        request = _token_request(client_id, client_secret, scopes)
        response = run.send(step_id, "POST", token_url, **request)
        cache[key] = _access_token(step_id, response, run.secrets)
    return cache[key]


async def aclient_credentials(
    run: AsyncRun,
    step_id: str,
    token_url: str,
    client_id: str | None,
    client_secret: str | None,
    scopes: str,
    cache: dict[str, str],
) -> str | None:
    """The async twin of :func:`client_credentials`."""
    if client_id is None or client_secret is None:
        return None
    key = f"{token_url} {client_id} {scopes}"
    if key not in cache:
        request = _token_request(client_id, client_secret, scopes)
        response = await run.send(step_id, "POST", token_url, **request)
        cache[key] = _access_token(step_id, response, run.secrets)
    return cache[key]
