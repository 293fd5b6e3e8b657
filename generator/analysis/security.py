"""Security: the credentials a workflow's requests need (keyword arguments of the
function) and how each request authenticates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ir import nodes as n
from ..model.normalize import document_model
from ..plan import InputParam
from ..pycode import snake_case
from ..resolve import SecurityScheme
from .common import Auth, Credential, StepInfo

if TYPE_CHECKING:
    from .context import ExprContext
    from .workflow import WorkflowAnalyzer


_CREDENTIAL_TEXT = {
    "token": "Bearer token",
    "username": "User name (HTTP Basic)",
    "password": "Password (HTTP Basic)",
    "key": "API key",
    "client_id": "OAuth 2.0 client id",
    "client_secret": "OAuth 2.0 client secret",
}


def _scheme_key(source: str, scheme: SecurityScheme) -> str:
    return f"{source}/{scheme.name}"


def _scheme_credentials(scheme: SecurityScheme, source: str) -> list[Credential]:
    base = snake_case(scheme.name, fallback="auth")
    if "." in source:  # a source of a linked document ("shared.store"): qualify the name
        base = snake_case(source.rsplit(".", 1)[0], fallback="linked") + "_" + base
    key = _scheme_key(source, scheme)
    if scheme.kind == "http-bearer":
        wanted = base if "token" in base else f"{base}_token"
        return [Credential(f"{key}/token", "token", scheme, source, wanted, True)]
    if scheme.kind == "http-basic":
        return [
            Credential(f"{key}/username", "username", scheme, source, f"{base}_username", False),
            Credential(f"{key}/password", "password", scheme, source, f"{base}_password", True),
        ]
    if scheme.kind == "apiKey":
        wanted = base if ("key" in base or "token" in base) else f"{base}_key"
        return [Credential(f"{key}/key", "key", scheme, source, wanted, True)]
    if scheme.kind == "oauth2-client-credentials":
        return [
            Credential(f"{key}/client_id", "client_id", scheme, source, f"{base}_client_id", False),
            Credential(f"{key}/client_secret", "client_secret", scheme, source, f"{base}_client_secret", True),
        ]
    return []


def plan_credentials(self: WorkflowAnalyzer) -> None:
    """The credentials this workflow's requests (and the workflows it calls) need."""
    creds: dict[str, Credential] = {}
    required: set[str] = set()
    for info in self.steps:
        op = info.operation
        if op is None or not op.security:
            continue
        explicit = self._explicit_parameters(info)
        alternatives: list[list[tuple[SecurityScheme, tuple[str, ...], str]]] = []
        satisfied = False
        unsupported: list[SecurityScheme] = []
        for requirement in op.security:
            if not requirement:
                satisfied = True  # '{}': anonymous access is allowed
                break
            usable: list[tuple[SecurityScheme, tuple[str, ...], str]] = []
            covered = True
            for scheme, scopes in requirement:
                if self._covered(scheme, explicit):
                    continue
                covered = False
                if scheme.kind == "other":
                    unsupported.append(scheme)
                    usable = []
                    break
                usable.append((scheme, scopes, op.source.key))
            if covered:
                satisfied = True
                break
            if usable:
                alternatives.append(usable)
        if satisfied:
            continue
        if not alternatives:
            if unsupported:
                names = ", ".join(sorted({s.name for s in unsupported}))
                self.warn(
                    info.json_path,
                    f"operation {op.display_name} uses security scheme(s) {names} of a kind the generator does not handle (http bearer/basic, apiKey, oauth2 client credentials are)",
                    "pass the credential explicitly as a parameter",
                )
            continue
        self.step_auth[info.index] = alternatives
        for alternative in alternatives:
            for scheme, _, source in alternative:
                for cred in _scheme_credentials(scheme, source):
                    creds.setdefault(cred.key, cred)
                    if len(alternatives) == 1:
                        required.add(cred.key)
    for callee in self.callees:
        target = self.p.workflows.get(callee)
        if target is None:
            continue
        for key, cred in target.credentials.items():
            creds.setdefault(key, cred)
            if key in target.required_credentials:
                required.add(key)
    taken_inputs = {p.name for p in self.input_params}
    for key in sorted(creds, key=lambda k: (k not in required, k)):
        cred = creds[key]
        wanted = cred.wanted if cred.wanted not in taken_inputs else cred.wanted + "_credential"
        self.credential_names[key] = self.names.claim(wanted)
        if cred.secret:
            self.secret_names.append(self.credential_names[key])
    self.credentials = creds
    self.required_credentials = required


def _explicit_parameters(self: WorkflowAnalyzer, info: StepInfo) -> set[tuple[str, str]]:
    """(location, lower-case name) of every parameter the workflow sets on the step
    (the workflow's and the step's items, reusable ones resolved: generator.model)."""
    model = document_model(self.doc)
    w_index, s_index = int(info.json_path[1]), int(info.json_path[3])
    workflow, step = model.workflow_at(w_index), model.step_at(w_index, s_index)
    assert workflow is not None and step is not None, info.json_path
    found: set[tuple[str, str]] = set()
    for item in workflow.parameter_items + step.parameter_items:
        parameter = item.parameter
        if parameter is None:
            continue
        written = model.components.parameters[parameter.component] if parameter.component else parameter.raw
        if isinstance(written.get("name"), str):
            found.add((parameter.location or "", parameter.name.lower()))
    return found


def _covered(scheme: SecurityScheme, explicit: set[tuple[str, str]]) -> bool:
    """An explicit parameter in the workflow wins over the security scheme."""
    if scheme.kind in ("http-bearer", "http-basic", "oauth2-client-credentials"):
        return ("header", "authorization") in explicit
    if scheme.kind == "apiKey" and scheme.param_name:
        return (str(scheme.location), scheme.param_name.lower()) in explicit
    return False


def credential_params(self: WorkflowAnalyzer) -> list[InputParam]:
    params: list[InputParam] = []
    for key, cred in self.credentials.items():
        required = key in self.required_credentials
        description = f"{_CREDENTIAL_TEXT[cred.part]} for the {cred.scheme.name!r} security scheme of {cred.source!r}."
        params.append(
            InputParam(
                self.credential_names[key],
                key,
                "str" if required else "str | None",
                None if required else "None",
                description,
                cred.secret,
            )
        )
    return sorted(params, key=lambda p: p.default is not None)


def auth_for(self: WorkflowAnalyzer, info: StepInfo, ctx: ExprContext) -> Auth:
    auth = Auth()
    alternatives = self.step_auth.get(info.index)
    if not alternatives:
        return auth
    several = len(alternatives) > 1
    headers: dict[str, list[n.Expr]] = {}
    for alternative in alternatives:
        for scheme, scopes, source in alternative:
            names = {c.part: self.credential_names[c.key] for c in _scheme_credentials(scheme, source)}
            optional = several or any(
                c.key not in self.required_credentials for c in _scheme_credentials(scheme, source)
            )
            if scheme.kind == "http-bearer":
                token = n.Name(names["token"])
                value = n.runtime("bearer", token) if optional else n.FString(("Bearer ", token))
                if optional:
                    self.p.runtime_parts.add("auth")
                headers.setdefault("Authorization", []).append(value)
            elif scheme.kind == "http-basic":
                self.p.runtime_parts.add("auth")
                headers.setdefault("Authorization", []).append(
                    n.runtime("basic_auth", n.Name(names["username"]), n.Name(names["password"]))
                )
            elif scheme.kind == "apiKey" and scheme.param_name:
                name = n.Name(names["key"])
                if scheme.location == "header":
                    headers.setdefault(scheme.param_name, []).append(name)
                elif scheme.location == "query":
                    auth.query.append((scheme.param_name, name))
                elif scheme.location == "cookie":
                    auth.cookies.append((scheme.param_name, name))
            elif scheme.kind == "oauth2-client-credentials":
                token_url = self._token_url(source, scheme, info)
                token_var = "_access_token"
                self.p.runtime_parts.update(("auth", "oauth"))
                fetch = n.call(
                    "_runtime.client_credentials",
                    n.Name("_run"),
                    n.Const(info.step_id),
                    token_url,
                    n.Name(names["client_id"]),
                    n.Name(names["client_secret"]),
                    n.Const(" ".join(scopes)),
                    n.Name("_tokens"),
                    async_func="_runtime.aclient_credentials",
                )
                auth.prelude.append(n.Assign(token_var, fetch))
                headers.setdefault("Authorization", []).append(n.runtime("bearer", n.Name(token_var)))
    if any(len(values) > 1 for values in headers.values()):
        self.p.runtime_parts.add("auth")  # first_of
    for header, values in headers.items():
        auth.headers.append((header, values[0] if len(values) == 1 else n.runtime("first_of", *values)))
    return auth


def _token_url(self: WorkflowAnalyzer, source: str, scheme: SecurityScheme, info: StepInfo) -> n.Expr:
    url = scheme.token_url or ""
    if "://" in url:
        key = f"{source}.{scheme.name}.tokenUrl"
        self.p.token_urls[key] = (source, url)
        self.server_keys.add(key)
        return n.Subscript(n.Name("_base"), n.Const(key))
    if not url:
        self.error(
            info.json_path,
            f"the oauth2 security scheme {scheme.name!r} of {source!r} has no clientCredentials tokenUrl",
            "add flows.clientCredentials.tokenUrl to the OpenAPI description",
        )
    self.server_keys.add(source)
    return n.BinOp(n.Subscript(n.Name("_base"), n.Const(source)), "+", n.Const("/" + url.lstrip("/")))
