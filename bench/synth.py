"""Synthetic Arazzo documents over a whole OpenAPI description, for the
generation-at-scale benchmark.

``synthesize(openapi, url, n)`` returns an Arazzo 1.0.1 document with ``n``
workflows that together touch every operation of ``openapi``.  Each workflow
takes ``k = max(3, ceil(operations / n))`` operations, consecutive in document
order and wrapping around, so 1 workflow has every operation as a step, 10
workflows have 14 steps each and 100 workflows have 3 steps each (300 steps).

Each step is what an author would write by hand:

- ``operationId``, an ``Authorization: Bearer {$inputs.apiToken}`` header, and a
  value for every path parameter: an ``id`` produced by an earlier step of the
  same workflow when there is one (create, then read/update/delete it), else a
  workflow input; required query parameters get a sample value;
- a ``requestBody`` payload for operations that have a request body, built from
  the schema's required properties (enums take their first value, ``oneOf``
  its first branch, ``name`` comes from ``$inputs.name``);
- ``successCriteria`` on the first 2xx status the operation documents;
- ``outputs`` that are ``$response.body`` JSON pointers into the documented
  response (``#/id`` and one more scalar; ``#/0/...`` for arrays), or
  ``$statusCode`` when the response has no JSON body.

Run as a script to write the documents: ``python bench/synth.py OPENAPI OUTDIR 1 10 100``.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
MAX_DEPTH = 6


class _Schemas:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def deref(self, schema: Any, depth: int = 0) -> Any:
        while isinstance(schema, dict) and "$ref" in schema and depth < 32:
            ref = schema["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                return {}
            node: Any = self.document
            for token in ref[2:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                node = node.get(token, {}) if isinstance(node, dict) else {}
            schema = node
            depth += 1
        return schema if isinstance(schema, dict) else {}

    def sample(self, schema: Any, depth: int = 0, top: bool = False) -> Any:
        """A small valid-looking value for ``schema``: required properties only."""
        schema = self.deref(schema)
        if depth > MAX_DEPTH:
            return None
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self.sample(schema[key][0], depth + 1)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.sample(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        if "enum" in schema and isinstance(schema["enum"], list) and schema["enum"]:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in schema:
            props = schema.get("properties") or {}
            out: dict[str, Any] = {}
            for name in schema.get("required") or []:
                if name in props:
                    out[name] = self.sample(props[name], depth + 1)
            if top and "name" in props and self.deref(props["name"]).get("type") == "string":
                out["name"] = "$inputs.name"
            return out
        if kind == "array":
            count = int(schema.get("minItems") or 0)
            return [self.sample(schema.get("items", {}), depth + 1) for _ in range(min(count, 2))]
        if kind == "integer":
            return int(schema.get("minimum", 1) or 1)
        if kind == "number":
            return float(schema.get("minimum", 1) or 1)
        if kind == "boolean":
            return True
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return "2025-01-01T00:00:00Z"
            if fmt == "uuid":
                return "00000000-0000-4000-8000-000000000000"
            if fmt in ("uri", "url"):
                return "https://example.com/hook"
            length = int(schema.get("minLength") or 0)
            return "x" * max(length, 7)
        return "x"

    def pointers(self, schema: Any) -> list[tuple[str, str]]:
        """Up to two (output name, JSON pointer) pairs into a response body."""
        schema = self.deref(schema)
        prefix = ""
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                schema = self.deref(schema[key][0])
        if schema.get("type") == "array":
            schema = self.deref(schema.get("items", {}))
            prefix = "/0"
        props = schema.get("properties") or {}
        if not props and isinstance(schema.get("allOf"), list):
            for part in schema["allOf"]:
                props = {**props, **(self.deref(part).get("properties") or {})}
        picks: list[str] = []
        if "id" in props:
            picks.append("id")
        for name, prop in props.items():
            if len(picks) >= 2:
                break
            if name in picks or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                continue
            if self.deref(prop).get("type") in ("string", "number", "integer", "boolean"):
                picks.append(name)
        return [(name, f"{prefix}/{name}") for name in picks]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation, in document order."""
    out = []
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method in METHODS and isinstance(op, dict) and op.get("operationId"):
                out.append((method, path, op))
    return out


def _input_name(param: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", param)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def _step(
    schemas: _Schemas, method: str, path: str, op: dict[str, Any], earlier_ids: list[str], inputs: dict[str, Any]
) -> dict[str, Any]:
    step_id = op["operationId"]
    params: list[dict[str, Any]] = [{"name": "Authorization", "in": "header", "value": "Bearer {$inputs.apiToken}"}]
    for name in re.findall(r"\{([^{}]+)\}", path):
        if name == "id" and earlier_ids:
            value = f"$steps.{earlier_ids[-1]}.outputs.id"
        else:
            input_name = _input_name(name)
            inputs[input_name] = {"type": "string", "description": f"path parameter {name}"}
            value = f"$inputs.{input_name}"
        params.append({"name": name, "in": "path", "value": value})
    for param in op.get("parameters") or []:
        param = schemas.deref(param)
        if param.get("in") == "query" and param.get("required"):
            params.append({"name": param["name"], "in": "query", "value": schemas.sample(param.get("schema", {}))})
    step: dict[str, Any] = {
        "stepId": step_id,
        "description": op.get("summary") or f"{method.upper()} {path}",
        "operationId": step_id,
        "parameters": params,
    }
    body = schemas.deref(op.get("requestBody"))
    content = body.get("content") or {}
    if content:
        content_type = "application/json" if "application/json" in content else next(iter(content))
        payload = schemas.sample((content[content_type] or {}).get("schema", {}), top=True)
        if content_type == "application/json" or isinstance(payload, dict):
            step["requestBody"] = {"contentType": content_type, "payload": payload}
    responses = op.get("responses") or {}
    status = next((code for code in responses if str(code).startswith("2")), "200")
    step["successCriteria"] = [{"condition": f"$statusCode == {status}"}]
    response = schemas.deref(responses.get(status, {}))
    json_content = next((v for k, v in (response.get("content") or {}).items() if "json" in k), None)
    outputs: dict[str, str] = {}
    if isinstance(json_content, dict) and json_content.get("schema"):
        for name, pointer in schemas.pointers(json_content["schema"]):
            outputs[name] = f"$response.body#{pointer}"
    if not outputs:
        outputs["status"] = "$statusCode"
    step["outputs"] = outputs
    return step


def synthesize(document: dict[str, Any], openapi_url: str, workflows: int, source_name: str = "api") -> dict[str, Any]:
    ops = operations(document)
    if not ops:
        raise ValueError("the OpenAPI document has no operations with an operationId")
    per = min(len(ops), max(3, math.ceil(len(ops) / workflows)))
    schemas = _Schemas(document)
    out_workflows = []
    for w in range(workflows):
        chosen = [ops[(w * per + j) % len(ops)] for j in range(per)]
        inputs: dict[str, Any] = {
            "apiToken": {"type": "string", "description": "API key sent as a Bearer token."},
            "name": {"type": "string", "default": "bench", "description": "A name for created resources."},
        }
        steps = []
        earlier_ids: list[str] = []
        wf_outputs: dict[str, str] = {}
        for method, path, op in chosen:
            step = _step(schemas, method, path, op, earlier_ids, inputs)
            steps.append(step)
            if "id" in step["outputs"] and step["outputs"]["id"] == "$response.body#/id":
                earlier_ids.append(step["stepId"])
            for name in step["outputs"]:
                wf_outputs[f"{step['stepId']}_{name}"] = f"$steps.{step['stepId']}.outputs.{name}"
        required = ["apiToken"] + sorted(k for k in inputs if k not in ("apiToken", "name"))
        out_workflows.append(
            {
                "workflowId": f"synthetic-{w + 1:03d}",
                "summary": f"Synthetic workflow {w + 1} of {workflows}: "
                + ", ".join(s["stepId"] for s in steps[:3])
                + ("..." if len(steps) > 3 else ""),
                "inputs": {"type": "object", "required": required, "properties": inputs},
                "steps": steps,
                "outputs": wf_outputs,
            }
        )
    return {
        "arazzo": "1.0.1",
        "info": {"title": f"Synthetic benchmark workflows ({workflows})", "version": "1.0.0"},
        "sourceDescriptions": [{"name": source_name, "url": openapi_url, "type": "openapi"}],
        "workflows": out_workflows,
    }


def coverage(document: dict[str, Any], arazzo: dict[str, Any]) -> tuple[int, int, int]:
    """(operations touched, operations in the OpenAPI, steps)."""
    all_ids = {op["operationId"] for _, _, op in operations(document)}
    used = {s["operationId"] for w in arazzo["workflows"] for s in w["steps"]}
    steps = sum(len(w["steps"]) for w in arazzo["workflows"])
    return len(used & all_ids), len(all_ids), steps


def write_documents(openapi_path: Path, out_dir: Path, sizes: list[int]) -> dict[int, Path]:
    document = json.loads(openapi_path.read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    url = Path(os.path.relpath(openapi_path.resolve(), out_dir.resolve())).as_posix()
    written = {}
    for n in sizes:
        arazzo = synthesize(document, url, n)
        touched, total, _ = coverage(document, arazzo)
        if touched != total:
            raise AssertionError(f"{n} workflows touch {touched} of {total} operations")
        target = out_dir / f"synthetic-{n}.arazzo.json"
        target.write_text(json.dumps(arazzo, indent=1) + "\n", encoding="utf-8")
        written[n] = target
    return written


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        raise SystemExit(2)
    paths = write_documents(Path(sys.argv[1]), Path(sys.argv[2]), [int(a) for a in sys.argv[3:]])
    for n, p in paths.items():
        print(n, p)
