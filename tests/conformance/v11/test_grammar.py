"""Conformance, the stricter Arazzo 1.1 expression grammar (CHANGES-1.1 section 26):
errors with a hint in a 1.1 document, accepted (and run) in the same document as 1.0.1."""

from __future__ import annotations

from tests.conformance.harness import Compiler, Servers, run

FEATURE = "v11/grammar"


def test_1_1_grammar_refuses_what_1_0_accepts(compile_feature: Compiler) -> None:
    compiled = compile_feature(FEATURE)
    at = "tests/conformance/v11/grammar/arazzo.yaml"
    assert compiled.errors == [
        f"{at}:20:42: error: $.workflows[0].steps[0].parameters[0].value: $inputs.user.id: in Arazzo 1.1 a dot is part of the name, so this is the input 'user.id', which the workflow does not declare\n    hint: to read member 'id' of input 'user' write '$inputs.user#/id'",
        f"{at}:21:43: error: $.workflows[0].steps[0].parameters[1].value: $inputs.na@me: in Arazzo 1.1 a name is letters, digits, '.', '-' and '_' only, not '@'\n    hint: rename it (the 1.1 grammar has no escape); an Arazzo 1.0 document accepts it",
        f"{at}:23:19: error: $.workflows[0].steps[0].outputs.braced: $response.body#/a{{b}}: in Arazzo 1.1 a JSON pointer may not contain '{{' or '}}'\n    hint: the 1.1 grammar has no escape for braces: read that member with a Selector Object (type: jsonpointer), or in an Arazzo 1.0 document",
        f"{at}:25:15: error: $.workflows[0].outputs.paging: $components.inputs.paging: Arazzo 1.1 has no $components.inputs expression\n    hint: reference the schema with $ref: '#/components/inputs/paging' in the workflow's inputs",
    ]


def test_1_0_grammar_accepts_and_runs_them(compile_feature: Compiler, serve: Servers, mode: str) -> None:
    compiled = compile_feature(FEATURE, "arazzo-1-0.yaml")
    assert not compiled.errors, compiled.errors
    # $inputs.user.id is member id of input user; input 'na@me' is the keyword na_me.
    outputs = run(compiled, "w", mode, servers={"api": serve(FEATURE, "member").url}, user={"id": "7"}, na_me="t")
    assert outputs is not None
