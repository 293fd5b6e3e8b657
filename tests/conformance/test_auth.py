"""Conformance: authentication that workflows leave to the OpenAPI security schemes
(http bearer, http basic, apiKey in header/query/cookie, oauth2 client credentials),
taken as typed keyword arguments; an explicit Authorization parameter wins."""

from __future__ import annotations

import inspect

import pytest

from tests.conformance.harness import Compiled, Compiler, Servers, run

CREDENTIALS = {
    "bearer_auth_token": "tok-123",
    "basic_auth_username": "ada",
    "basic_auth_password": "pw-456",
    "api_key_header": "key-h",
    "api_key_query": "key-q",
    "api_key_cookie": "key-c",
}


@pytest.fixture
def auth(compile_feature: Compiler) -> Compiled:
    compiled = compile_feature("auth")
    assert not compiled.errors, compiled.errors
    return compiled


def test_credentials_are_typed_keyword_arguments(auth: Compiled) -> None:
    params = inspect.signature(auth.fn("all_schemes")).parameters
    for name in CREDENTIALS:
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].annotation == "str"
        assert params[name].default is inspect.Parameter.empty  # every step needs it


def test_auth_http_bearer_basic_and_api_keys(auth: Compiled, serve: Servers, mode: str) -> None:
    # The cassette checks Authorization (Bearer, Basic), X-API-Key, ?api_key= and the sid cookie.
    server = serve("auth", "all-schemes")
    run(auth, "all_schemes", mode, servers={"api": server.url}, **CREDENTIALS)
    assert server.requests[0].headers["authorization"] == "Bearer tok-123"


def test_auth_oauth2_client_credentials_token_is_fetched_once(auth: Compiled, serve: Servers, mode: str) -> None:
    server = serve("auth", "oauth")
    servers = {"api": server.url, "api.oauth.tokenUrl": server.url + "/oauth/token"}
    run(auth, "oauth", mode, servers=servers, oauth_client_id="client-1", oauth_client_secret="secret-1")
    assert [r.path for r in server.requests] == ["/oauth/token", "/oauth-a", "/oauth-b"]


def test_auth_credentials_pass_on_to_called_workflows(auth: Compiled, serve: Servers, mode: str) -> None:
    params = inspect.signature(auth.fn("calls_oauth")).parameters
    assert {"oauth_client_id", "oauth_client_secret"} <= set(params)
    server = serve("auth", "oauth")
    servers = {"api": server.url, "api.oauth.tokenUrl": server.url + "/oauth/token"}
    run(auth, "calls_oauth", mode, servers=servers, oauth_client_id="client-1", oauth_client_secret="secret-1")


def test_auth_explicit_authorization_parameter_wins(auth: Compiled, serve: Servers, mode: str) -> None:
    params = inspect.signature(auth.fn("explicit_wins")).parameters
    assert "bearer_auth_token" not in params
    run(auth, "explicit_wins", mode, servers={"api": serve("auth", "explicit").url}, token="mine")


def test_auth_alternative_schemes_make_credentials_optional(auth: Compiled, serve: Servers, mode: str) -> None:
    params = inspect.signature(auth.fn("either")).parameters
    assert params["bearer_auth_token"].default is None and params["api_key_header"].default is None
    run(auth, "either", mode, servers={"api": serve("auth", "either-key").url}, api_key_header="key-e")


def test_auth_credentials_never_appear_in_errors(auth: Compiled, serve: Servers, mode: str) -> None:
    step_failed = auth.fn("StepFailed")
    server = serve("auth", "query-key-fails")
    server.expect_unconsumed()
    with pytest.raises(step_failed) as caught:  # type: ignore[call-overload]
        run(auth, "all_schemes", mode, servers={"api": server.url}, **CREDENTIALS)
    assert "tok-123" not in str(caught.value) and "[REDACTED]" in str(caught.value)
