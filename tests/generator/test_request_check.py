"""Requests typed at compile time (generator/request_check.py): payloads, parameter
values and replacement values against the operation's schemas.

The bad-input catalogue holds one case per rule that refuses a document
(tests/bad/request-*); here: what must pass silently (allOf, oneOf, anyOf, nullable,
readOnly, values sent as text, what only run time knows), what only warns, the
messages for combinators, and that each problem is reported exactly once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from arazzo_codegen import diagnostics
from arazzo_codegen.request_fit import json_problem, kind_fits, meet, text_problem

from tests.bad.test_bad_inputs import run_cli, split_report

OPENAPI = """openapi: 3.1.0
info: {title: Shapes, version: 1.0.0}
servers: [{url: https://shapes.example}]
paths:
  /things:
    post:
      operationId: createThing
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: ratio, in: query, schema: {type: number}}
        - {name: mode, in: query, schema: {type: string, enum: [fast, slow]}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        '201':
          description: Created.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /forms:
    post:
      operationId: sendForm
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [count]
              properties:
                count: {type: integer}
                flag: {type: boolean}
      responses:
        '204': {description: Sent.}
  /pets:
    post:
      operationId: createPet
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - $ref: '#/components/schemas/Cat'
                - $ref: '#/components/schemas/Dog'
      responses:
        '201': {description: Created.}
  /animals:
    post:
      operationId: createAnimal
      requestBody:
        content:
          application/json:
            schema:
              oneOf:
                - {type: object, required: [kind, wings], properties: {kind: {const: bird}, wings: {type: integer}}}
                - {type: object, required: [kind], properties: {kind: {type: string, enum: [fish]}, fins: {type: integer}}}
      responses:
        '201': {description: Created.}
components:
  schemas:
    Base:
      type: object
      required: [id, kind]
      properties:
        id: {type: string, readOnly: true}
        kind: {type: string, enum: [box, ball]}
    Thing:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          properties:
            size: {type: number}
            count: {type: integer}
            note: {type: [string, 'null']}
            legacy: {type: string, nullable: true}
            label: {type: string}
            code:
              anyOf:
                - {type: string}
                - {type: integer}
            parts:
              type: array
              items:
                type: object
                required: [name]
                properties:
                  name: {type: string}
            extras:
              type: object
              additionalProperties: {type: integer}
    Cat:
      type: object
      additionalProperties: false
      required: [meow]
      properties:
        meow: {type: string}
    Dog:
      type: object
      required: [bark]
      properties:
        bark: {type: string, enum: [loud, soft]}
"""

HEAD = """arazzo: 1.0.1
info: {title: Shapes, version: 1.0.0}
sourceDescriptions:
  - {name: shapes, url: openapi.yaml, type: openapi}
workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        name: {type: string}
        count: {type: integer}
        size: {type: number}
        kind: {type: string, enum: [box, ball]}
        shape: {type: string, enum: [box, cube]}
        colour: {type: string, enum: [red, blue]}
        flag: {type: boolean}
        spec: {type: object, properties: {n: {type: integer}}}
    steps:
"""


def _validate(tmp_path: Path, steps: str) -> tuple[int, list[str]]:
    (tmp_path / "openapi.yaml").write_text(OPENAPI, encoding="utf-8")
    (tmp_path / "arazzo.yaml").write_text(HEAD + steps, encoding="utf-8")
    code, _, stderr = run_cli(["validate", "arazzo.yaml", "--package", "shapes"], tmp_path)
    assert "Traceback" not in stderr, stderr
    found, _ = split_report(stderr)
    return code, [d for d in found if "OpenAPI validation" not in d]


def _step(body: str, step_id: str = "a", operation: str = "createThing") -> str:
    return f"      - stepId: {step_id}\n        operationId: {operation}\n" + body


def test_what_fits_passes_silently(tmp_path: Path) -> None:
    """allOf parts merged, a readOnly required member left out, a oneOf alternative,
    anyOf, both spellings of nullable, an integer for a number, an additionalProperties
    schema, parameters and form fields as text, an input whose type and enum fit, a
    template into a string, a replacement that sets a required member, and values only
    run time knows (a step output): no diagnostic."""
    steps = _step("""        parameters:
          - {name: limit, in: query, value: '42'}
          - {name: ratio, in: query, value: 2}
          - {name: mode, in: query, value: fast}
          - {name: tags, in: query, value: 'a,b'}
        requestBody:
          contentType: application/json
          payload:
            kind: $inputs.kind
            size: 3
            count: 2.0
            note: null
            legacy: null
            label: "thing {$inputs.name} #{$inputs.count}"
            code: 7
            parts: [{name: a}, {name: $inputs.name}]
            extras: {x: 1, y: $inputs.count}
            whatever: $inputs.spec
        outputs:
          made: $response.body#/count
""")
    steps += _step(
        """        requestBody:
          contentType: application/json
          payload:
            size: $inputs.count
            count: $steps.a.outputs.made
          replacements:
            - {target: /kind, value: ball}
""",
        "b",
    )
    steps += _step(
        """        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {count: '5', flag: 'true'}
""",
        "c",
        "sendForm",
    )
    steps += _step(
        """        requestBody:
          contentType: application/json
          payload: {bark: loud}
""",
        "d",
        "createPet",
    )
    code, found = _validate(tmp_path, steps)
    assert found == []
    assert code == 0


def test_what_may_not_fit_warns(tmp_path: Path) -> None:
    """An input whose type or enum may not fit, a one-expression template into an
    integer, a literal null into a field that is not nullable, an open schema's member
    that is close to a declared one: warnings, and the document is valid."""
    steps = _step("""        parameters:
          - {name: limit, in: query, value: $inputs.name}
        requestBody:
          contentType: application/json
          payload:
            kind: $inputs.shape
            count: "{$inputs.count}"
            label: null
            sizee: 1
""")
    code, found = _validate(tmp_path, steps)
    assert code == 0
    assert [line.split(": ", 3)[3].split("\n")[0] for line in found] == [
        "parameter 'limit' (query) of createThing: input '$inputs.name' is declared as a string, which may not fit an integer",
        (
            "request body member 'kind' of createThing: input '$inputs.shape' may be 'cube', which the schema does not allow"
            " (it takes one of 'box', 'ball')"
        ),
        (
            "request body member 'count' of createThing: the template '{$inputs.count}' makes a string, but the schema takes"
            " an integer"
        ),
        "request body member 'label' of createThing: null is written, but the schema takes a string (it is not nullable)",
        "the request body of createThing: unknown member 'sizee' (did you mean 'size'?)",
    ]
    assert "hint: write '$inputs.count' (without braces) to send the value with its own type" in found[2]


def test_what_cannot_fit_is_an_error(tmp_path: Path) -> None:
    """A literal of the wrong type, an enum miss (with a did-you-mean), an input whose
    type or enum cannot fit, a nested missing member inside array items, an
    additionalProperties schema, a form field that is not an integer, a parameter that
    is not a number: one error each, at the value."""
    steps = _step("""        parameters:
          - {name: ratio, in: query, value: lots}
          - {name: mode, in: query, value: fats}
        requestBody:
          contentType: application/json
          payload:
            kind: $inputs.colour
            size: "3"
            count: 2.5
            label: $inputs.spec
            parts: [{nam: a}]
            extras: {x: many}
""")
    steps += _step(
        """        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: {count: five}
""",
        "c",
        "sendForm",
    )
    code, found = _validate(tmp_path, steps)
    assert code == 1
    messages = [line.split(": ", 3)[3] for line in found]
    assert messages == [
        (
            "parameter 'ratio' (query) of createThing: 'lots' is not a number\n"
            "    hint: the schema is openapi.yaml#/paths/~1things/post/parameters/1/schema"
        ),
        (
            "parameter 'mode' (query) of createThing: 'fats' is not one of the allowed values 'fast', 'slow'\n"
            "    hint: did you mean 'fast'?"
        ),
        (
            "request body member 'kind' of createThing: none of the values of input '$inputs.colour' ('red', 'blue') is"
            " allowed: the schema takes one of 'box', 'ball'\n    hint: make the input's enum a subset of the field's"
        ),
        (
            "request body member 'size' of createThing: '3' is a string, but the schema takes a number\n"
            "    hint: write 3 without quotes"
        ),
        (
            "request body member 'count' of createThing: 2.5 is a number, but the schema takes an integer\n"
            "    hint: the schema is openapi.yaml#/components/schemas/Thing/allOf/1/properties/count"
        ),
        (
            "request body member 'label' of createThing: input '$inputs.spec' is declared as an object, but the schema"
            " takes a string\n    hint: declare the input with the field's type (a string) in the workflow's inputs schema"
        ),
        (
            "request body member 'parts/0' of createThing: missing required member 'name'\n"
            "    hint: 'nam' is written instead: rename it to 'name'"
        ),
        (
            "request body member 'parts/0' of createThing: unknown member 'nam' (did you mean 'name'?)\n"
            "    hint: the schema allows other members, so it is sent as written; rename it to 'name' if that was meant"
        ),
        (
            "request body member 'extras/x' of createThing: 'many' is a string, but the schema takes an integer\n"
            "    hint: the schema is openapi.yaml#/components/schemas/Thing/allOf/1/properties/extras/additionalProperties"
        ),
        (
            "request body member 'count' of sendForm: 'five' is not an integer\n"
            "    hint: the schema is openapi.yaml#/paths/~1forms/post/requestBody/content/"
            "application~1x-www-form-urlencoded/schema/properties/count"
        ),
    ]


def test_a_value_that_fits_no_alternative(tmp_path: Path) -> None:
    """oneOf: a value that fits none of the alternatives is one error naming each
    alternative's first problem (a closed alternative's unknown member included)."""
    steps = _step(
        """        requestBody:
          contentType: application/json
          payload: {bark: loudly, meow: hi}
""",
        "d",
        "createPet",
    )
    code, found = _validate(tmp_path, steps)
    assert code == 1
    assert [line.split(": ", 3)[3] for line in found] == [
        (
            "the request body of createPet: fits none of the 2 schemas of its oneOf\n"
            "    hint: Cat: unknown member 'bark'; Dog: 'loudly' is not one of the allowed values 'loud', 'soft'"
        )
    ]


def test_each_problem_is_reported_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted as the checks add them, before the report's de-duplication."""
    added: list[str] = []
    original = diagnostics.Report.add

    def counting(self: diagnostics.Report, diagnostic: diagnostics.Diagnostic) -> None:
        added.append(diagnostic.message)
        original(self, diagnostic)

    monkeypatch.setattr(diagnostics.Report, "add", counting)
    steps = _step("""        requestBody:
          contentType: application/json
          payload: {kindd: box, count: many}
""")
    code, _ = _validate(tmp_path, steps)
    assert code == 1
    mine = [m for m in added if "of createThing" in m]
    assert sorted(mine) == [
        "request body member 'count' of createThing: 'many' is a string, but the schema takes an integer",
        "the request body of createThing: missing required member 'kind'",
        "the request body of createThing: unknown member 'kindd' (did you mean 'kind'?)",
    ]


@pytest.mark.parametrize(
    ("kind", "kinds", "text", "verdict"),
    [
        ("integer", {"number"}, False, "ok"),
        ("number", {"integer"}, False, "maybe"),
        ("string", {"integer"}, False, "no"),
        ("string", {"integer"}, True, "maybe"),
        ("integer", {"string"}, True, "ok"),
        ("boolean", {"integer"}, True, "no"),
        ("object", {"array"}, True, "maybe"),
    ],
)
def test_kind_fits(kind: str, kinds: set[str], text: bool, verdict: str) -> None:
    assert kind_fits(kind, frozenset(kinds), text) == verdict


def test_fitting_rules() -> None:
    assert meet(frozenset({"number"}), frozenset({"integer", "string"})) == frozenset({"integer"})
    assert meet(None, frozenset({"string"})) == frozenset({"string"})
    assert json_problem(True, frozenset({"integer"}), []) is not None  # a boolean is not an integer
    assert json_problem(1, None, [[True, False]]) is not None  # nor is 1 the value true
    assert json_problem(1.0, frozenset({"integer"}), [[1]]) is None
    assert text_problem(1, frozenset({"string"}), [["1", "2"]]) is None  # parameters are text
    assert text_problem("1e3", frozenset({"number"}), []) is None
    assert text_problem("yes", frozenset({"boolean"}), []) is not None


def test_a_step_that_expects_a_client_error_only_warns(tmp_path: Path) -> None:
    """A step whose success is a 4xx response tests the server's validation (Redocly's
    Respect fixtures do): its request may break the schema on purpose.  Text that a
    quirk may read as an expression ($dependencies...) is not compared."""
    steps = _step("""        requestBody:
          contentType: application/json
          payload: {size: big, label: $dependencies.setup.name}
        successCriteria:
          - condition: $statusCode == 422
""")
    code, found = _validate(tmp_path, steps)
    assert code == 0
    mine = [line.split(": ", 2)[1:] for line in found if "of createThing" in line]
    assert mine == [
        [
            "warning",
            (
                "$.workflows[0].steps[0].requestBody.payload: the request body of createThing: missing required member"
                " 'kind'\n    hint: add kind: <value> (the schema requires kind); a warning only: the step expects a 4xx"
                " response"
            ),
        ],
        [
            "warning",
            (
                "$.workflows[0].steps[0].requestBody.payload.size: request body member 'size' of createThing: 'big' is a"
                " string, but the schema takes a number\n    hint: the schema is openapi.yaml#/components/schemas/Thing/"
                "allOf/1/properties/size; a warning only: the step expects a 4xx response"
            ),
        ],
    ]


def test_a_member_that_picks_the_alternative(tmp_path: Path) -> None:
    """A member whose value only some alternatives take (a discriminator: kind: fish)
    picks them, so the problems of the picked one are reported at their own place; a
    value no alternative takes is one enum miss with every alternative's values."""
    steps = _step(
        """        requestBody:
          contentType: application/json
          payload: {kind: fish, fins: many}
""",
        "a",
        "createAnimal",
    )
    steps += _step(
        """        requestBody:
          contentType: application/json
          payload: {kind: fsh}
""",
        "b",
        "createAnimal",
    )
    code, found = _validate(tmp_path, steps)
    assert code == 1
    assert [line.split(": ", 2)[2] for line in found] == [
        (
            "$.workflows[0].steps[0].requestBody.payload.fins: request body member 'fins' of createAnimal: 'many' is a"
            " string, but the schema takes an integer\n    hint: the schema is"
            " openapi.yaml#/paths/~1animals/post/requestBody/content/application~1json/schema/oneOf/1/properties/fins"
        ),
        (
            "$.workflows[0].steps[1].requestBody.payload.kind: request body member 'kind' of createAnimal: 'fsh' is not"
            " one of the allowed values 'bird', 'fish'\n    hint: did you mean 'fish'?"
        ),
    ]


def test_a_send_step_payload_is_checked_against_the_message_schema(tmp_path: Path) -> None:
    """Arazzo 1.1 send steps: requestBody.payload is the message payload, checked
    against the AsyncAPI message's payload schema like a request body."""
    orders = Path(__file__).resolve().parent.parent / "conformance" / "events" / "orders"
    for name in ("arazzo.yaml", "asyncapi.yaml", "openapi.yaml"):
        (tmp_path / name).write_bytes((orders / name).read_bytes())
    text = (tmp_path / "arazzo.yaml").read_text(encoding="utf-8")
    assert text.count("            quantity: 0\n") == 1
    (tmp_path / "arazzo.yaml").write_text(text.replace("            quantity: 0\n", "            quantity: none\n"))
    code, _, stderr = run_cli(["validate", "arazzo.yaml", "--package", "orders"], tmp_path)
    found, _ = split_report(stderr)
    assert code == 1
    assert [d for d in found if "message payload member" in d] == [
        (
            "arazzo.yaml:72:23: error: $.workflows[1].steps[1].requestBody.payload.quantity: message payload member"
            " 'quantity' of takeOrder: 'none' is a string, but the schema takes an integer\n"
            "    hint: the schema is asyncapi.yaml#/components/messages/PlaceOrder/payload/properties/quantity"
        )
    ]


def test_an_input_member_is_typed_by_the_inputs_schema(tmp_path: Path) -> None:
    """$inputs.spec#/n (and the dotted spelling $inputs.spec.n) is typed by the input's
    own schema, through its properties."""
    steps = _step("""        requestBody:
          contentType: application/json
          payload: {kind: box, label: $inputs.spec#/n, size: $inputs.spec.n}
""")
    code, found = _validate(tmp_path, steps)
    assert code == 1
    assert [line.split(": ", 3)[3].split("\n")[0] for line in found if "of createThing" in line] == [
        (
            "request body member 'label' of createThing: input '$inputs.spec#/n' is declared as an integer, but the"
            " schema takes a string"
        )
    ]
