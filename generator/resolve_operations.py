"""OpenAPI operations for stage 3, resolve: each description's operations indexed
(method, path, server, parameters, request body, responses, security), and a step's
operationId or operationPath looked up among them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .diagnostics import JsonPath, Report, Severity, did_you_mean
from .load import Loader, SourceFile, pointer_tokens
from .resolve_model import Operation, ParamSpec, ResponseSpec, SchemaLoc, SecurityScheme, Source

if TYPE_CHECKING:  # asyncapi_model imports SchemaLoc from resolve_model: the names are only annotations
    from .asyncapi_model import AsyncSource

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _check_schema_aliases(file: SourceFile, report: Report) -> None:
    """A component schema that is only a $ref to another one that leads back to
    it describes nothing (pydantic would fail on every value at run time)."""
    components = file.data.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if not isinstance(schemas, dict):
        return
    reported: set[frozenset[str]] = set()
    for name in sorted(schemas):
        chain = [name]
        value = schemas[name]
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            tokens = pointer_tokens(unquote(value["$ref"][1:])) if value["$ref"].startswith("#") else None
            if tokens is None or len(tokens) != 3 or tokens[:2] != ("components", "schemas"):
                break  # another document or a deeper pointer: the schema stage follows those
            target = str(tokens[2])
            if target in chain:
                members = frozenset(chain)
                if members not in reported:
                    reported.add(members)
                    cycle = chain[chain.index(target) :] + [target]
                    report.add(
                        file.diagnostic(
                            ("components", "schemas", cycle[0]),
                            "cyclic $ref: " + " -> ".join(cycle) + " never reaches a schema",
                            "point one of them at a real schema",
                        )
                    )
                break
            chain.append(target)
            value = schemas.get(target)


def _server_url(data: Any) -> str:
    servers = data.get("servers") if isinstance(data, dict) else None
    if not servers or not isinstance(servers, list) or not isinstance(servers[0], dict):
        return ""
    server = servers[0]
    url = str(server.get("url", ""))
    for name, var in (server.get("variables") or {}).items():
        if isinstance(var, dict) and "default" in var:
            url = url.replace("{" + name + "}", str(var["default"]))
    return url.rstrip("/")


def _index_operations(source: Source, loader: Loader, report: Report) -> None:
    data = source.file.data
    schemes = _security_schemes(source.file, loader, report)
    top_security = data.get("security", [])
    for path, item in (data.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        item_at: JsonPath = ("paths", path)
        if "$ref" in item:
            deref = loader.deref(source.file, item, item_at, "the operations of this path are left out")
            if deref is None:
                continue
            item = deref[2]
        common = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            at = item_at + (method,)
            params: dict[tuple[str, str], ParamSpec] = {}
            for p_list, base in ((common, item_at + ("parameters",)), (op.get("parameters", []), at + ("parameters",))):
                for index, raw in enumerate(p_list or []):
                    deref = loader.deref(
                        source.file,
                        raw,
                        base + (index,),
                        "the parameter is left out (a step may still set it with 'in')",
                    )
                    if deref is None or not isinstance(deref[2], dict):
                        continue
                    p_file, p_path, p = deref
                    if "name" not in p or "in" not in p:
                        continue
                    schema = SchemaLoc(p_file, p_path + ("schema",), p["schema"]) if "schema" in p else None
                    params[(p["name"], p["in"])] = ParamSpec(
                        p["name"],
                        p["in"],
                        bool(p.get("required")) or p["in"] == "path",
                        schema,
                        p.get("style"),
                        p.get("explode"),
                    )
            request_content: dict[str, SchemaLoc | None] = {}
            request_required = False
            if "requestBody" in op:
                deref = loader.deref(
                    source.file, op["requestBody"], at + ("requestBody",), "the request body is typed Any"
                )
                if deref is not None and isinstance(deref[2], dict):
                    b_file, b_path, body = deref
                    request_required = bool(body.get("required"))
                    for ctype, media in (body.get("content") or {}).items():
                        has = isinstance(media, dict) and "schema" in media
                        request_content[ctype] = (
                            SchemaLoc(b_file, b_path + ("content", ctype, "schema"), media["schema"]) if has else None
                        )
            responses: dict[str, ResponseSpec] = {}
            for status, raw in (op.get("responses") or {}).items():
                deref = loader.deref(source.file, raw, at + ("responses", str(status)), "the response is typed Any")
                if deref is None or not isinstance(deref[2], dict):
                    continue
                r_file, r_path, resp = deref
                content = resp.get("content") or {}
                ctype, schema = _pick_content(r_file, r_path, content)
                headers: dict[str, SchemaLoc | None] = {}
                for h_name, h_raw in (resp.get("headers") or {}).items():
                    h_deref = loader.deref(r_file, h_raw, r_path + ("headers", h_name), "the header is typed Any")
                    if h_deref and isinstance(h_deref[2], dict) and "schema" in h_deref[2]:
                        headers[h_name] = SchemaLoc(h_deref[0], h_deref[1] + ("schema",), h_deref[2]["schema"])
                    else:
                        headers[h_name] = None
                responses[str(status)] = ResponseSpec(
                    str(status), ctype, schema, headers, str(resp.get("description", ""))
                )
            security_raw = op.get("security", top_security) or []
            security: list[list[tuple[SecurityScheme, tuple[str, ...]]]] = []
            for requirement in security_raw:
                if not isinstance(requirement, dict):
                    continue
                alternative = []
                for scheme_name, scopes in requirement.items():
                    if scheme_name in schemes:
                        alternative.append((schemes[scheme_name], tuple(scopes or ())))
                security.append(alternative)
            operation = Operation(
                source=source,
                method=method.upper(),
                path=path,
                operation_id=op.get("operationId"),
                json_path=at,
                summary=op.get("summary"),
                parameters=params,
                request_content=request_content,
                request_required=request_required,
                responses=responses,
                security=security,
                display_name=op.get("operationId") or f"{method.upper()} {path}",
            )
            if operation.operation_id:
                source.operations.setdefault(operation.operation_id, operation)
            source.operations_by_path[(path, method)] = operation


def _pick_content(file: SourceFile, path: JsonPath, content: dict[str, Any]) -> tuple[str | None, SchemaLoc | None]:
    if not content:
        return None, None
    order = sorted(content, key=lambda c: (not _is_json(c), c))
    ctype = order[0]
    media = content[ctype]
    if isinstance(media, dict) and "schema" in media:
        return ctype, SchemaLoc(file, path + ("content", ctype, "schema"), media["schema"])
    return ctype, None


def _is_json(content_type: str) -> bool:
    base = content_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _security_schemes(file: SourceFile, loader: Loader, report: Report) -> dict[str, SecurityScheme]:
    out: dict[str, SecurityScheme] = {}
    raw = ((file.data.get("components") or {}).get("securitySchemes") or {}) if isinstance(file.data, dict) else {}
    for name, value in raw.items():
        deref = loader.deref(file, value, ("components", "securitySchemes", name))
        if deref is None or not isinstance(deref[2], dict):
            continue
        scheme = deref[2]
        kind = "other"
        token_url = None
        if scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            kind = "http-bearer"
        elif scheme.get("type") == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            kind = "http-basic"
        elif scheme.get("type") == "apiKey":
            kind = "apiKey"
        elif scheme.get("type") == "oauth2":
            flow = (scheme.get("flows") or {}).get("clientCredentials")
            if isinstance(flow, dict):
                kind = "oauth2-client-credentials"
                token_url = flow.get("tokenUrl")
        out[name] = SecurityScheme(name, kind, scheme.get("in"), scheme.get("name"), token_url)
    return out


_QUALIFIED = re.compile(r"^\$sourceDescriptions\.([^.]+)\.(.+)$")


def _by_operation_id(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    value: Any,
    at: JsonPath,
    failed: set[str],
    async_ids: list[str] | None = None,
) -> Operation | None:
    if not isinstance(value, str):
        return None
    openapi = {n: s for n, s in sources.items() if s.kind == "openapi"}
    match = _QUALIFIED.match(value)
    if match:
        name, op_id = match.groups()
        if name in failed:
            return None
        if name not in sources:
            report.add(
                arazzo.diagnostic(
                    at, f"unknown source description {name!r} in operationId {value!r}", did_you_mean(name, sources)
                )
            )
            return None
        if sources[name].kind != "openapi":
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationId {value!r}: source description {name!r} is an Arazzo document, which has workflows, not operations",
                    f"call its workflow with 'workflowId: $sourceDescriptions.{name}.<workflowId>'",
                )
            )
            return None
        return _lookup_op(arazzo, report, {name: sources[name]}, op_id, at)
    head, _, tail = value.partition(".")
    if tail and head in openapi and tail in openapi[head].operations:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationId {value!r} is qualified by the source name without '$sourceDescriptions.'",
                f"write '$sourceDescriptions.{value}'",
                severity=Severity.WARNING,
            )
        )
        return openapi[head].operations[tail]
    return _lookup_op(arazzo, report, openapi, value, at, failed, async_ids or [])


def _lookup_op(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    op_id: str,
    at: JsonPath,
    failed: frozenset[str] | set[str] = frozenset(),
    async_ids: list[str] | None = None,
) -> Operation | None:
    holders = sorted(name for name, s in sources.items() if op_id in s.operations)
    if len(holders) == 1:
        return sources[holders[0]].operations[op_id]
    if len(holders) > 1:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationId {op_id!r} exists in several sources ({', '.join(holders)})",
                f"qualify it: '$sourceDescriptions.{holders[0]}.{op_id}'",
            )
        )
        return None
    if failed:
        return None  # it may be in a source that could not be read (reported there)
    known = [o for s in sources.values() for o in s.operations] + list(async_ids or [])
    report.add(
        arazzo.diagnostic(
            at,
            f"unknown operationId {op_id!r}",
            did_you_mean(op_id, known)
            or (
                "check the operationIds in the OpenAPI and AsyncAPI source descriptions"
                if async_ids
                else "check the operationIds in the OpenAPI source descriptions"
            ),
        )
    )
    return None


_OPERATION_PATH = re.compile(r"^\{\$sourceDescriptions\.([^.}]+)\.url\}#(.*)$")
_OPERATION_PATH_BARE = re.compile(r"^\$sourceDescriptions\.([^.#]+)\.url#(.*)$")
# Shorthands real documents use: Redocly's '$sourceDescriptions.<name>#/paths/...'
# (no '.url', no braces) and WSO2's '<name>#/paths/...' (the bare source name).
_OPERATION_PATH_NO_URL = re.compile(r"^\{?\$sourceDescriptions\.([A-Za-z0-9_-]+)\}?#(/.*)$")
_OPERATION_PATH_NAME = re.compile(r"^([A-Za-z0-9_-]+)#(/.*)$")


def _by_operation_path(
    arazzo: SourceFile,
    report: Report,
    sources: dict[str, Source],
    value: Any,
    at: JsonPath,
    failed: set[str],
    async_sources: Mapping[str, AsyncSource] | None = None,
) -> Operation | None:
    if not isinstance(value, str):
        return None
    match = _OPERATION_PATH.match(value)
    if not match:
        match = _OPERATION_PATH_BARE.match(value)
        if match:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} lacks the '{{...}}' around the source URL expression",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
    if not match:
        match = _OPERATION_PATH_NO_URL.match(value)
        if match and value.startswith("{") != value.split("#", 1)[0].endswith("}"):
            match = None  # one brace without the other: malformed, not a shorthand
        if match:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} names the source description without '.url'",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
    if not match:
        match = _OPERATION_PATH_NAME.match(value)
        if match and match.group(1) in sources:
            report.add(
                arazzo.diagnostic(
                    at,
                    f"operationPath {value!r} names the source description {match.group(1)!r} without a runtime expression",
                    f"write '{{$sourceDescriptions.{match.group(1)}.url}}#{match.group(2)}'",
                    severity=Severity.WARNING,
                )
            )
        elif match and match.group(1) not in failed:
            hint = did_you_mean(match.group(1), sources)
            report.add(
                arazzo.diagnostic(
                    at,
                    f"malformed operationPath {value!r}: {match.group(1)!r} is not a source description",
                    f"write '{{$sourceDescriptions.<name>.url}}#{match.group(2)}'" + (f"; {hint}" if hint else ""),
                )
            )
            return None
        elif match:
            return None
    if not match:
        report.add(
            arazzo.diagnostic(
                at, f"malformed operationPath {value!r}", "write '{$sourceDescriptions.<name>.url}#/paths/~1pets/get'"
            )
        )
        return None
    name, fragment = match.groups()
    if name in failed:
        return None
    if async_sources and name in async_sources:
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r}: source description {name!r} is an AsyncAPI document",
                f"name its channel with channelPath: '{{$sourceDescriptions.{name}.url}}#/channels/<channel key>', or its operation with operationId: $sourceDescriptions.{name}.<operationId> (with action: send or receive)",
            )
        )
        return None
    if name not in sources:
        report.add(
            arazzo.diagnostic(at, f"unknown source description {name!r} in operationPath", did_you_mean(name, sources))
        )
        return None
    if sources[name].kind != "openapi":
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r}: source description {name!r} is an Arazzo document, which has no operations",
                f"call its workflows with 'workflowId: $sourceDescriptions.{name}.<workflowId>'",
            )
        )
        return None
    tokens = pointer_tokens(unquote(fragment))
    source = sources[name]
    if tokens is None or len(tokens) < 3 or tokens[0] != "paths":
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} does not point at an operation",
                "the pointer looks like '#/paths/~1pets~1{id}/get'",
            )
        )
        return None
    method = str(tokens[-1]).lower()
    path = "/".join(str(t) for t in tokens[1:-1])
    if len(tokens) > 3:
        # Quirk: '/paths//pets/get' style pointers written without ~1 escapes.
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} does not escape '/' in the path as '~1'",
                "write the path as one token, e.g. '#/paths/~1pets~1{id}/get'",
                severity=Severity.WARNING,
            )
        )
        path = "/" + path.lstrip("/")
    op = source.operations_by_path.get((path, method))
    if op is None:
        known = [f"{p} {m}" for p, m in source.operations_by_path]
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} matches no operation in {source.file.display}",
                did_you_mean(f"{path} {method}", known),
            )
        )
        return None
    if op.operation_id and source.operations.get(op.operation_id) is op:
        # The spec: "If the referenced operation has an operationId defined then the
        # operationId SHOULD be preferred over the operationPath."
        report.add(
            arazzo.diagnostic(
                at,
                f"operationPath {value!r} names an operation that has an operationId",
                f"prefer 'operationId: $sourceDescriptions.{name}.{op.operation_id}'",
                severity=Severity.WARNING,
            )
        )
    return op
