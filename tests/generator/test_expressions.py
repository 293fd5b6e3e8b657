"""Unit tests for generator.expressions (runtime expressions, templates, conditions)."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arazzo_codegen.expressions import (
    And,
    Compare,
    ComponentRef,
    Condition,
    ExpressionError,
    Index,
    Input,
    Literal,
    Method,
    Not,
    Or,
    Output,
    Prop,
    Ref,
    RequestBody,
    RequestHeader,
    RequestPath,
    RequestQuery,
    ResponseBody,
    ResponseHeader,
    RuntimeExpr,
    SourceDescriptionRef,
    StatusCode,
    StepOutput,
    Template,
    Url,
    WorkflowInput,
    WorkflowOutput,
    iter_refs,
    parse_condition,
    parse_expression,
    parse_value,
    to_source,
)

ROOTS_HINT = (
    "expressions start with $url, $method, $statusCode, $request., $response., "
    "$inputs., $outputs., $steps., $workflows., $sourceDescriptions., $components."
)

# ---------------------------------------------------------------------------
# Runtime expressions: every example of the spec's table and then some
# ---------------------------------------------------------------------------

SPEC_EXAMPLES: list[tuple[str, RuntimeExpr]] = [
    ("$method", Method()),
    ("$request.header.accept", RequestHeader("accept")),
    ("$request.path.id", RequestPath("id")),
    ("$request.body#/user/uuid", RequestBody(("user", "uuid"))),
    ("$url", Url()),
    ("$response.body#/status", ResponseBody(("status",))),
    ("$response.header.Server", ResponseHeader("Server")),
    ("$inputs.username", Input("username", None)),
    ("$workflows.foo.inputs.username", WorkflowInput("foo", "username", None)),
    ("$steps.someStepId.outputs.pets", StepOutput("someStepId", "pets", None)),
    (
        "$steps.someStepId.outputs.pets#/0/id",
        StepOutput("someStepId", "pets", ("0", "id")),
    ),
    ("$outputs.bar", Output("bar", None)),
    ("$workflows.foo.outputs.bar", WorkflowOutput("foo", "bar", None)),
    (
        "$workflows.foo.outputs.mappedResponse#/name",
        WorkflowOutput("foo", "mappedResponse", ("name",)),
    ),
    ("$components.parameters.foo", ComponentRef("parameters", "foo")),
    ("$sourceDescriptions.petStore.url", SourceDescriptionRef("petStore", "url")),
]

MORE_EXAMPLES: list[tuple[str, RuntimeExpr]] = [
    ("$statusCode", StatusCode()),
    ("$request.query.page", RequestQuery("page")),
    ("$request.body", RequestBody(None)),
    ("$response.body", ResponseBody(None)),
    ("$response.header.X-Expires-After", ResponseHeader("X-Expires-After")),
    ("$request.header.X-Rate-Limit!#$%&'*+-.^_`|~", RequestHeader("X-Rate-Limit!#$%&'*+-.^_`|~")),
    ("$inputs.a.b", Input("a.b", None)),
    ("$inputs.pet#/tags/0", Input("pet", ("tags", "0"))),
    ("$outputs.a.b#/c", Output("a.b", ("c",))),
    ("$steps.s.outputs.a.b", StepOutput("s", "a.b", None)),
    ("$steps.step-1_x.outputs.x", StepOutput("step-1_x", "x", None)),
    ("$workflows.w-1.inputs.x#/y", WorkflowInput("w-1", "x", ("y",))),
    (
        "$sourceDescriptions.petstore.getPetById",
        SourceDescriptionRef("petstore", "getPetById"),
    ),
    ("$components.successActions.notify", ComponentRef("successActions", "notify")),
    ("$components.failureActions.retry-it", ComponentRef("failureActions", "retry-it")),
    ("$components.inputs.pagination.v2", ComponentRef("inputs", "pagination.v2")),
    ("$response.body#", ResponseBody(())),
    ("$response.body#/", ResponseBody(("",))),
    ("$response.body#/a//b/", ResponseBody(("a", "", "b", ""))),
    ("$response.body#/a b", ResponseBody(("a b",))),
]


@pytest.mark.parametrize(("text", "expected"), SPEC_EXAMPLES + MORE_EXAMPLES)
def test_parse_expression(text: str, expected: RuntimeExpr) -> None:
    result = parse_expression(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("text", "expected"), SPEC_EXAMPLES + MORE_EXAMPLES)
def test_to_source_is_canonical_for_examples(text: str, expected: RuntimeExpr) -> None:
    assert to_source(expected) == text
    assert parse_expression(to_source(expected)) == expected


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("$response.body#/a~1b", ("a/b",)),
        ("$response.body#/a~0b", ("a~b",)),
        ("$response.body#/~01", ("~1",)),  # "~0" then a literal "1", not "~1"
        ("$response.body#/~10", ("/0",)),
        ("$response.body#/~0~1/~1~0", ("~/", "/~")),
        ("$response.body#/é/ü", ("é", "ü")),
    ],
)
def test_pointer_escapes_are_decoded(text: str, pointer: tuple[str, ...]) -> None:
    expr = parse_expression(text)
    assert expr == ResponseBody(pointer)
    assert to_source(expr) == text


def test_to_source_escapes_pointer_tokens() -> None:
    assert to_source(StepOutput("s", "x", ("a/b", "c~d"))) == "$steps.s.outputs.x#/a~1b/c~0d"
    assert to_source(Input("x", ())) == "$inputs.x#"
    assert to_source(Input("x", None)) == "$inputs.x"


def test_nodes_are_frozen_and_hashable() -> None:
    expr = StepOutput("s", "x", ("a",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.name = "y"  # type: ignore[misc]
    assert {expr: 1}[StepOutput("s", "x", ("a",))] == 1
    assert StatusCode() == StatusCode()
    url: RuntimeExpr = Url()
    assert StatusCode() != url


# ---------------------------------------------------------------------------
# Malformed runtime expressions
# ---------------------------------------------------------------------------

BAD_EXPRESSIONS: list[tuple[str, str, int]] = [
    ("$foo", "unknown runtime expression root '$foo'", 0),
    ("$steps.s.foo", "expected 'outputs' after '$steps.s.', found 'foo'", 9),
    ("$steps.s.", "expected 'outputs' after '$steps.s.', found end of expression", 9),
    ("$steps.s", "expected '.' after '$steps.s'", 8),
    ("$steps..outputs.x", "empty step id after '$steps.'", 7),
    ("$steps.-/.outputs.x", "invalid character '/' in step id '-'", 8),
    ("$steps./x", "invalid character '/' at the start of a step id", 7),
    ("$steps.a!b.outputs.x", "invalid character '!' in step id 'a'", 8),
    ("$response.body#/a~2", "invalid JSON pointer escape '~2'", 17),
    ("$response.body#/a~", "invalid JSON pointer escape '~'", 17),
    ("$response.body#a", "must be empty or start with '/'", 15),
    ("$request.header.a b", "invalid character ' ' in header name", 17),
    ("$request.header.a(b)", "invalid character '(' in header name", 17),
    ("$response.header.", "empty header name", 17),
    ("$inputs.", "empty input name", 8),
    ("$inputs.#/a", "empty input name", 8),
    ("$outputs.a b", "invalid character ' ' in output name", 10),
    ("$request.body.x", "unexpected '.x' after '$request.body'", 13),
    ("$components.schemas.x", "unknown component kind 'schemas'", 12),
    ("$components.parameters.", "empty component name", 23),
    ("$components.parameters.a b", "invalid character ' ' in component name", 24),
    ("$response.query.x", "unknown response source 'query'", 10),
    ("$request.cookie.x", "unknown request source 'cookie'", 9),
    ("$request", "expected '.' after '$request'", 8),
    ("$url/x", "unexpected '/x' after '$url'", 4),
    ("$statusCode.x", "unexpected '.x' after '$statusCode'", 11),
    ("", "empty runtime expression", 0),
    (" $url", "must start with '$'", 0),
    ("$url ", "unexpected ' ' after '$url'", 4),
    ("$", "expected a runtime expression root after '$'", 1),
    ("$request.query.a#/x", "invalid character '#' in query parameter name", 16),
    ("$request.path.", "empty path parameter name", 14),
    ("$workflows.w.steps.x", "expected 'inputs' or 'outputs'", 13),
    ("$sourceDescriptions.petStore", "expected '.' after '$sourceDescriptions.petStore'", 28),
    ("$sourceDescriptions.pet store.url", "invalid character ' ' in source description name", 23),
    ("$inputs.a}", "invalid character '}' in input name", 9),
]


@pytest.mark.parametrize(("text", "message", "offset"), BAD_EXPRESSIONS)
def test_malformed_expressions(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert message in info.value.message
    assert info.value.offset == offset


def test_unknown_root_hint_lists_roots() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("$foo.bar")
    assert info.value.hint == ROOTS_HINT


def test_unknown_root_hint_suggests_case_fix() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("$StatusCode")
    assert info.value.hint is not None
    assert "did you mean '$statusCode'" in info.value.hint


def test_bad_header_hint_mentions_token() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("$response.header.a/b")
    assert info.value.hint is not None
    assert "RFC 9110" in info.value.hint


def test_expression_error_fields_and_str() -> None:
    err = ExpressionError("bad thing", 7, "do better")
    assert (err.message, err.offset, err.hint) == ("bad thing", 7, "do better")
    assert str(err) == "bad thing (at offset 7); hint: do better"
    assert str(ExpressionError("x", 0)) == "x (at offset 0)"
    assert isinstance(err, Exception)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.offset, copy.hint) == ("bad thing", 7, "do better")


# ---------------------------------------------------------------------------
# parse_value: whole expressions, templates, the bare quirk, plain strings
# ---------------------------------------------------------------------------


def test_value_whole_expression_preserves_type() -> None:
    assert parse_value("$inputs.username") == Input("username", None)
    assert parse_value("$statusCode") == StatusCode()
    assert parse_value("$response.body#/a b") == ResponseBody(("a b",))


def test_value_braced_template() -> None:
    assert parse_value("Bearer {$inputs.apiToken}") == Template(
        ("Bearer ", Input("apiToken", None)), ()
    )


def test_value_two_expressions() -> None:
    result = parse_value("{$inputs.a}/{$steps.s.outputs.id#/x~1y}?q=1")
    assert result == Template(
        (Input("a", None), "/", StepOutput("s", "id", ("x/y",)), "?q=1"), ()
    )


def test_value_single_braced_expression_is_a_template() -> None:
    assert parse_value("{$inputs.a}") == Template((Input("a", None),), ())


def test_value_adjacent_expressions() -> None:
    assert parse_value("{$url}{$method}") == Template((Url(), Method()), ())


def test_value_bare_quirk() -> None:
    result = parse_value("Bearer $inputs.apiToken")
    assert result == Template(("Bearer ", Input("apiToken", None)), (7,))


def test_value_bare_quirk_extends_to_whitespace() -> None:
    result = parse_value("id=$steps.s.outputs.a.b#/0 and $url done")
    assert result == Template(
        ("id=", StepOutput("s", "a.b", ("0",)), " and ", Url(), " done"),
        (3, 31),
    )


def test_value_bare_and_braced_mixed() -> None:
    result = parse_value("{$inputs.a} $inputs.b")
    assert result == Template((Input("a", None), " ", Input("b", None)), (12,))


def test_value_whole_bare_expression_followed_by_text() -> None:
    assert parse_value("$inputs.a rest") == Template((Input("a", None), " rest"), (0,))


@pytest.mark.parametrize(
    "text",
    [
        "costs $5",
        "plain text",
        "",
        "$",
        "$$",
        "$foo.bar",
        "a {b} c",
        "$urlencoded",
        "$statusCodes",
        "$inputs",
        "{}",
        "}{",
    ],
)
def test_value_plain_strings_unchanged(text: str) -> None:
    result = parse_value(text)
    assert result == text
    assert isinstance(result, str)


def test_value_bare_expression_between_literal_braces() -> None:
    # "{" not followed by "$" is literal text, so this is the bare quirk.
    assert parse_value("{ $inputs.a }") == Template(("{ ", Input("a", None), " }"), (2,))


def test_value_literal_brace_text_is_kept() -> None:
    result = parse_value("{ \"id\": \"{$inputs.id}\" }")
    assert result == Template(('{ "id": "', Input("id", None), '" }'), ())


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("x {$inputs.a", "unterminated embedded expression", 2),
        ("Token {$foo}", "unknown runtime expression root '$foo'", 7),
        ("Bearer $steps.x", "expected '.' after '$steps.x'", 15),
        ("a {$inputs.x#/~9} b", "invalid JSON pointer escape '~9'", 14),
        ("a {$inputs.} b", "empty input name", 11),
        ("{$inputs.a }", "invalid character ' ' in input name", 10),
    ],
)
def test_value_errors(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_value(text)
    assert message in info.value.message
    assert info.value.offset == offset


# ---------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------


def sc(offset: int) -> Ref:
    return Ref(StatusCode(), offset)


def test_condition_status_code() -> None:
    assert parse_condition("$statusCode == 200") == Compare("==", sc(0), Literal(200))


def test_condition_without_spaces() -> None:
    assert parse_condition("$statusCode==200") == Compare("==", sc(0), Literal(200))


def test_condition_body_pointer_string() -> None:
    assert parse_condition("$response.body#/status == 'ended'") == Compare(
        "==", Ref(ResponseBody(("status",)), 0), Literal("ended")
    )


def test_condition_body_pointer_without_spaces() -> None:
    assert parse_condition("$response.body#/status=='ended'") == Compare(
        "==", Ref(ResponseBody(("status",)), 0), Literal("ended")
    )


def test_condition_pointer_keeps_dots_and_bangs() -> None:
    assert parse_condition("$response.body#/a.b!c/d=e == 1") == Compare(
        "==", Ref(ResponseBody(("a.b!c", "d=e")), 0), Literal(1)
    )


def test_condition_pointer_ends_at_two_char_operators() -> None:
    assert parse_condition("$response.body#/a!=1") == Compare(
        "!=", Ref(ResponseBody(("a",)), 0), Literal(1)
    )
    assert parse_condition("$response.body#/a<1||$response.body#/b[0]") == Or(
        Compare("<", Ref(ResponseBody(("a",)), 0), Literal(1)),
        Index(Ref(ResponseBody(("b",)), 21), 0),
    )
    assert parse_condition("($response.body#/a)") == Ref(ResponseBody(("a",)), 1)


def test_condition_not_null() -> None:
    assert parse_condition("$response.body#/items/0/id != null") == Compare(
        "!=", Ref(ResponseBody(("items", "0", "id")), 0), Literal(None)
    )


def test_condition_and_of_comparisons() -> None:
    text = "$steps.poll.outputs.status == 'ended' && $statusCode == 200"
    assert parse_condition(text) == And(
        Compare("==", Ref(StepOutput("poll", "status", None), 0), Literal("ended")),
        Compare("==", sc(41), Literal(200)),
    )


def test_condition_not_grouped() -> None:
    assert parse_condition("!($statusCode >= 500)") == Not(
        Compare(">=", sc(2), Literal(500))
    )


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_condition_all_comparison_operators(op: str) -> None:
    assert parse_condition(f"$statusCode {op} 1") == Compare(op, sc(0), Literal(1))


def test_precedence_and_binds_tighter_than_or() -> None:
    assert parse_condition("1 || 2 && 3") == Or(Literal(1), And(Literal(2), Literal(3)))
    assert parse_condition("1 && 2 || 3") == Or(And(Literal(1), Literal(2)), Literal(3))


def test_or_and_are_left_associative() -> None:
    assert parse_condition("1 || 2 || 3") == Or(Or(Literal(1), Literal(2)), Literal(3))
    assert parse_condition("1 && 2 && 3") == And(And(Literal(1), Literal(2)), Literal(3))


def test_not_binds_looser_than_comparison() -> None:
    assert parse_condition("!$statusCode == 200") == Not(
        Compare("==", sc(1), Literal(200))
    )


def test_not_binds_tighter_than_and() -> None:
    assert parse_condition("!true && false") == And(Not(Literal(True)), Literal(False))
    assert parse_condition("!!true") == Not(Not(Literal(True)))


def test_comparison_binds_tighter_than_and() -> None:
    assert parse_condition("$statusCode == 200 && true") == And(
        Compare("==", sc(0), Literal(200)), Literal(True)
    )


def test_parentheses_override_precedence() -> None:
    assert parse_condition("(1 || 2) && 3") == And(Or(Literal(1), Literal(2)), Literal(3))
    assert parse_condition("((true))") == Literal(True)


def test_parenthesised_comparisons_can_be_compared() -> None:
    assert parse_condition("(1 == 2) == false") == Compare(
        "==", Compare("==", Literal(1), Literal(2)), Literal(False)
    )


def test_whitespace_is_free() -> None:
    assert parse_condition("\t( $statusCode\n==\r\n200 )  ") == Compare(
        "==", sc(3), Literal(200)
    )


def test_postfix_index_and_prop_on_expression() -> None:
    assert parse_condition("$inputs.a.b[0].c == 'x'") == Compare(
        "==",
        Prop(Index(Ref(Input("a.b", None), 0), 0), "c"),
        Literal("x"),
    )


def test_postfix_string_index_and_chain() -> None:
    assert parse_condition("$response.body#/items[0]['na''me'][2]") == Index(
        Index(Index(Ref(ResponseBody(("items",)), 0), 0), "na'me"), 2
    )


def test_postfix_on_group() -> None:
    assert parse_condition("($inputs.a)[1].b-c") == Prop(
        Index(Ref(Input("a", None), 1), 1), "b-c"
    )


def test_response_body_dot_path_becomes_props() -> None:
    assert parse_condition("$response.body.items[0].name == 'x'") == Compare(
        "==",
        Prop(Index(Prop(Ref(ResponseBody(None), 0), "items"), 0), "name"),
        Literal("x"),
    )
    assert parse_condition("$request.body.a") == Prop(Ref(RequestBody(None), 0), "a")


def test_expression_operand_stops_at_operator_characters() -> None:
    assert parse_condition("$inputs.a!=$inputs.b") == Compare(
        "!=", Ref(Input("a", None), 0), Ref(Input("b", None), 11)
    )
    assert parse_condition("($inputs.a)") == Ref(Input("a", None), 1)


def test_header_expression_operand() -> None:
    assert parse_condition("$response.header.X-Rate-Limit > 0") == Compare(
        ">", Ref(ResponseHeader("X-Rate-Limit"), 0), Literal(0)
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("0", 0),
        ("200", 200),
        ("-1", -1),
        ("-0", 0),
        ("1.5", 1.5),
        ("-2.25", -2.25),
        ("1e3", 1000.0),
        ("2.5E-2", 0.025),
        ("1e+2", 100.0),
        ("12345678901234567890", 12345678901234567890),
        ("'ended'", "ended"),
        ("''", ""),
        ("'it''s'", "it's"),
        ("''''", "'"),
        ("'a  b && c == ( )'", "a  b && c == ( )"),
        ("'$inputs.x'", "$inputs.x"),
        ("'\"double\"'", '"double"'),
    ],
)
def test_literals(text: str, value: bool | int | float | str | None) -> None:
    result = parse_condition(text)
    assert isinstance(result, Literal)
    assert result.value == value
    assert type(result.value) is type(value)


def test_string_comparison_with_escaped_quote() -> None:
    assert parse_condition("$inputs.name == 'O''Brien'") == Compare(
        "==", Ref(Input("name", None), 0), Literal("O'Brien")
    )


BAD_CONDITIONS: list[tuple[str, str, int]] = [
    ("$statusCode = 200", "unknown operator '='", 12),
    ("$statusCode === 200", "unknown operator '==='", 12),
    ("$statusCode !== 200", "unknown operator '!=='", 12),
    ("$statusCode => 200", "unknown operator '=>'", 12),
    ("$statusCode <> 1", "unknown operator '<>'", 12),
    ("$statusCode & 1", "unknown operator '&'", 12),
    ("true | false", "unknown operator '|'", 5),
    ("($statusCode == 200", "unbalanced '('", 0),
    ("(($statusCode == 200)", "unbalanced '('", 0),
    ("$statusCode == 200)", "unbalanced ')'", 18),
    ("($statusCode == 200 true)", "missing operator before 'true'", 20),
    ("($statusCode == 200 ]", "expected ')' or an operator, found ']'", 20),
    ("$statusCode == 'abc", "unterminated string literal", 15),
    ("'it''s", "unterminated string literal", 0),
    ("$statusCode ==", "missing operand after '==' at end of condition", 14),
    ("== 200", "missing operand: expected a value, found '=='", 0),
    ("$statusCode == 200 &&", "missing operand after '&&'", 21),
    ("true && || false", "missing operand: expected a value, found '||'", 8),
    ("!", "missing operand after '!'", 1),
    ("()", "expected an operand inside '()'", 1),
    ("$statusCode == 200 && ($inputs.a || )", "found ')'", 36),
    ("$statusCode == 200 200", "missing operator before '200'", 19),
    ("$statusCode $url", "missing operator before '$url'", 12),
    ("$statusCode == 200 foo", "missing operator before 'foo'", 19),
    ("$response.body#/status == ended", "unexpected bare word 'ended'", 26),
    ("1 == 2 == 3", "comparison operators cannot be chained", 7),
    ("1 < 2 > 3", "comparison operators cannot be chained", 6),
    ("", "empty condition", 0),
    ("   ", "empty condition", 0),
    ("$x == 1", "unknown runtime expression root '$x'", 0),
    ("$steps.s.result == 1", "expected 'outputs'", 9),
    ("$response.body#/a~3 == 1", "invalid JSON pointer escape '~3'", 17),
    ("$inputs.a[-1]", "non-negative integer or a quoted string", 10),
    ("$inputs.a[1.5]", "non-negative integer or a quoted string", 10),
    ("$inputs.a[true]", "non-negative integer or a quoted string", 10),
    ("$inputs.a[0", "unclosed '['", 9),
    ("$inputs.a[0 1]", "expected ']'", 12),
    ("'a'[0]", "'[' cannot follow a literal", 3),
    ("1 .x", "'.' cannot follow a literal", 2),
    ("($inputs.a).5", "expected a property name after '.'", 12),
    ('$inputs.a == "x"', "unexpected character '\"'", 13),
    ("$statusCode == 01", "leading zeros are not allowed", 15),
    ("$statusCode == 1e", "missing exponent digits", 16),
    ("$statusCode == 200ms", "unexpected character 'm' after number '200'", 18),
    ("$statusCode == - 1", "unexpected character '-'", 15),
    ("$statusCode == 200 # note", "unexpected character '#'", 19),
    ("$statusCode == !1", "missing operand: expected a value, found '!'", 15),
    ("$statusCode, 1", "unexpected character ','", 11),
]


@pytest.mark.parametrize(("text", "message", "offset"), BAD_CONDITIONS)
def test_malformed_conditions(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_condition(text)
    assert message in info.value.message
    assert info.value.offset == offset


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("$response.body#/status == ended", "strings need single quotes: 'ended'"),
        ("$statusCode == True", "literals are lowercase: true"),
        ("$statusCode = 200", "use '==' to compare"),
        ('$inputs.a == "x"', "strings need single quotes"),
        ("$foo == 1", ROOTS_HINT),
    ],
)
def test_condition_error_hints(text: str, hint: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_condition(text)
    assert info.value.hint is not None
    assert hint in info.value.hint


# ---------------------------------------------------------------------------
# iter_refs
# ---------------------------------------------------------------------------


def test_iter_refs_condition_in_source_order() -> None:
    cond = parse_condition(
        "!($inputs.a[0].b == $steps.s.outputs.x) || "
        "($statusCode < 300 && $response.body#/ok == true)"
    )
    assert list(iter_refs(cond)) == [
        Input("a", None),
        StepOutput("s", "x", None),
        StatusCode(),
        ResponseBody(("ok",)),
    ]


def test_iter_refs_literal_only_condition() -> None:
    assert list(iter_refs(parse_condition("1 == 1"))) == []


def test_iter_refs_template_and_expression() -> None:
    template = parse_value("{$inputs.a}-{$url} $method")
    assert isinstance(template, Template)
    assert list(iter_refs(template)) == [Input("a", None), Url(), Method()]
    assert list(iter_refs(Output("o", None))) == [Output("o", None)]


# ---------------------------------------------------------------------------
# Property tests: to_source round-trips
# ---------------------------------------------------------------------------

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
ids = st.text(alphabet=ID_ALPHABET, min_size=1, max_size=12)
names = st.text(alphabet=ID_ALPHABET + ".", min_size=1, max_size=16)
pointer_tokens = st.one_of(
    st.text(),
    st.text(alphabet="/~01a", max_size=8),
)
pointers = st.one_of(st.none(), st.lists(pointer_tokens, max_size=5).map(tuple))

exprs: st.SearchStrategy[RuntimeExpr] = st.one_of(
    st.builds(StepOutput, ids, names, pointers),
    st.builds(Input, names, pointers),
    st.builds(ResponseBody, pointers),
    st.builds(Output, names, pointers),
    st.builds(WorkflowInput, ids, names, pointers),
    st.builds(RequestBody, pointers),
)


@given(exprs)
def test_to_source_round_trips(expr: RuntimeExpr) -> None:
    source = to_source(expr)
    assert parse_expression(source) == expr
    assert parse_value(source) == expr


@given(
    st.builds(
        StepOutput,
        ids,
        names,
        st.one_of(
            st.none(),
            # No '=': "!=" / "==" end a pointer inside a condition (tested below).
            st.lists(st.text(alphabet="abc/~.!01-_", max_size=6), max_size=4).map(tuple),
        ),
    )
)
def test_to_source_round_trips_inside_conditions_and_templates(expr: StepOutput) -> None:
    source = to_source(expr)
    assert parse_condition(f"{source} == 'x'") == Compare("==", Ref(expr, 0), Literal("x"))
    assert parse_condition(f"!({source})") == Not(Ref(expr, 2))
    assert parse_value(f"a {{{source}}} b") == Template(("a ", expr, " b"), ())
    assert parse_value(f"a {source}") == Template(("a ", expr), (2,))


def _parsers() -> list[Callable[[str], object]]:
    return [parse_expression, parse_value, parse_condition]


@given(st.text(max_size=40))
def test_parsers_only_raise_expression_error(text: str) -> None:
    for parse in _parsers():
        try:
            parse(text)
        except ExpressionError as err:
            assert 0 <= err.offset <= len(text)
            assert err.message


CONDITION_PIECES = [
    "$statusCode", "$inputs.a", "'s'", "1", "true", "==", "!=", "<", "&&",
    "||", "!", "(", ")", "[", "]", "0", ".", "x", " ", "#/a", "-",
]


@given(st.lists(st.sampled_from(CONDITION_PIECES), max_size=12).map("".join))
def test_condition_fuzz_only_raises_expression_error(text: str) -> None:
    try:
        node = parse_condition(text)
    except ExpressionError as err:
        assert 0 <= err.offset <= len(text)
        return
    condition: Condition = node
    assert isinstance(condition, (Literal, Ref, Index, Prop, Not, And, Or, Compare))
    refs = list(iter_refs(condition))
    assert all(isinstance(r, (StatusCode, Input)) for r in refs)


# ---------------------------------------------------------------------------
# JSONPath (RFC 9535): parsed by the library, compiled to Python (jsonpath_py.py)
# ---------------------------------------------------------------------------

from typing import Any  # noqa: E402

from arazzo_codegen.expressions import check_jsonpath, check_xpath, runtime_part, xpath_is_location_path  # noqa: E402

from . import jsonpath_runtime  # noqa: E402

XPATH = runtime_part("xpath")

BOOKSTORE: dict[str, Any] = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "title": "Sayings of the Century", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword of Honour", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings", "isbn": "0-395-19395-8", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 399},
    }
}
BOOKS = BOOKSTORE["store"]["book"]

# RFC 9535 Table 3 (the bookstore examples).
RFC_BOOKSTORE: list[tuple[str, list[Any]]] = [
    ("$.store.book[*].author", [b["author"] for b in BOOKS]),
    ("$..author", [b["author"] for b in BOOKS]),
    ("$.store.*", [BOOKS, BOOKSTORE["store"]["bicycle"]]),
    ("$.store..price", [8.95, 12.99, 8.99, 22.99, 399]),
    ("$..book[2]", [BOOKS[2]]),
    ("$..book[2].author", ["Herman Melville"]),
    ("$..book[2].publisher", []),
    ("$..book[-1]", [BOOKS[3]]),
    ("$..book[0,1]", BOOKS[:2]),
    ("$..book[:2]", BOOKS[:2]),
    ("$..book[?@.isbn]", BOOKS[2:]),
    ("$..book[?@.price<10]", [BOOKS[0], BOOKS[2]]),
]

FILTER_DOC: dict[str, Any] = {
    "a": [3, 5, 1, 2, 4, 6, {"b": "j"}, {"b": "k"}, {"b": {}}, {"b": "kilo"}],
    "o": {"p": 1, "q": 2, "r": 3, "s": 5, "t": {"u": 6}},
    "e": "f",
}
A = FILTER_DOC["a"]

# RFC 9535 Table 12 (filter selector examples).
RFC_FILTERS: list[tuple[str, list[Any]]] = [
    ("$.a[?@.b == 'kilo']", [{"b": "kilo"}]),
    ("$.a[?(@.b == 'kilo')]", [{"b": "kilo"}]),
    ("$.a[?@>3.5]", [5, 4, 6]),
    ("$.a[?@.b]", A[6:]),
    ("$[?@.*]", [A, FILTER_DOC["o"]]),
    ("$[?@[?@.b]]", [A]),
    ("$.o[?@<3, ?@<3]", [1, 2, 1, 2]),
    ('$.a[?@<2 || @.b == "k"]', [1, {"b": "k"}]),
    ('$.a[?match(@.b, "[jk]")]', [{"b": "j"}, {"b": "k"}]),
    ('$.a[?search(@.b, "[jk]")]', [{"b": "j"}, {"b": "k"}, {"b": "kilo"}]),
    ("$.o[?@>1 && @<4]", [2, 3]),
    ("$.o[?@.u || @.x]", [{"u": 6}]),
    ("$.a[?@.b == $.x]", [3, 5, 1, 2, 4, 6]),
    ("$.a[?@ == @]", A),
]


@pytest.mark.parametrize(("query", "expected"), RFC_BOOKSTORE + [(q, e) for q, e in RFC_FILTERS])
def test_jsonpath_rfc9535_examples(query: str, expected: list[Any]) -> None:
    document = BOOKSTORE if (query, expected) in RFC_BOOKSTORE else FILTER_DOC
    assert jsonpath_runtime.query(document, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("$[1:3]", [1, 2]),
        ("$[5:]", [5, 6]),
        ("$[1:5:2]", [1, 3]),
        ("$[5:1:-2]", [5, 3]),
        ("$[::-1]", [6, 5, 4, 3, 2, 1, 0]),
        ("$[0:7:0]", []),
        ("$[-2:]", [5, 6]),
    ],
)
def test_jsonpath_slices_follow_rfc9535(query: str, expected: list[int]) -> None:
    assert jsonpath_runtime.query([0, 1, 2, 3, 4, 5, 6], query) == expected


def test_jsonpath_comparisons_are_typed_and_exact() -> None:
    query = jsonpath_runtime.query
    doc = [1, 1.0, True, "1", None, [1], {"a": 1}]
    assert query(doc, "$[?@ == 1]") == [1, 1.0]  # true is not 1, "1" is not 1
    assert query(doc, "$[?@ == true]") == [True]
    assert query(doc, "$[?@ == null]") == [None]
    assert query([{"a": None}, {}], "$[?@.a == null]") == [{"a": None}]  # absent is not null
    assert query(["B", "a"], "$[?@ < 'a']") == ["B"]  # by code point, case-sensitive


def test_jsonpath_criterion_wraps_the_context() -> None:
    test = jsonpath_runtime.criterion
    assert test({"status": "ended"}, "$[?@.status == 'ended']")
    assert not test({"status": "Ended"}, "$[?@.status == 'ended']")
    assert test({"pets": [1]}, "$[?count(@.pets[*]) > 0]")
    assert not test({"pets": []}, "$[?count(@.pets[*]) > 0]")
    assert test("x", "$[0]") and not test("x", "$[1]")


def test_jsonpath_goessner_extensions() -> None:
    query = jsonpath_runtime.query
    assert query({"a": [1, 2, 3]}, "$.a[(@.length-1)]", goessner=True) == [3]
    assert query([[1, 2], [1]], "$[?(@.length > 1)]", goessner=True) == [[1, 2]]
    with pytest.raises(ExpressionError):
        check_jsonpath("$.a[(@.length-1)]")  # not RFC 9535


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status", "expected '$', found 's'"),
        ("$.", "unexpected end of expression"),
        ("$[01]", "leading zero in index selector"),
        ("$[-0]", "leading zero in index selector"),
        ("$['a'", "unbalanced brackets"),
        ("$[?'a']", "literals outside of function expressions must be compared"),
        ("$[?length(@.a)]", "result of length() must be compared"),
        ("$[?@.* == 1]", "non-singular query is not comparable"),
        ("$[?count(1) > 0]", "count() argument 0 must be of NodesType"),
        ("$[?nope(@)]", "function 'nope' is not defined"),
        ("$[?@.a = 1]", "unexpected filter selector token '='"),
        ("$['\\x']", "invalid escape"),
        ("$[?match(@.a)]", "'match'() requires 2 arguments"),
        ("$[?@.a == 1 @.b]", "expected ',', found '@'"),
    ],
)
def test_jsonpath_malformed_queries_are_rejected(query: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_jsonpath(query)
    assert message in caught.value.message


# ---------------------------------------------------------------------------
# XPath over ElementTree, by elementpath (the runtime part xpath)
# ---------------------------------------------------------------------------

ORDER_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<order xmlns="urn:example" id="7"><status>shipped</status>'
    '<items><item sku="a">2</item><item sku="b">5</item></items>note</order>'
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("/order/status = 'shipped'", True),
        ("/order/status = 'SHIPPED'", False),
        ("/order/status eq 'shipped'", True),
        ("count(//item) = 2", True),
        ("count(//item) eq 3", False),
        ("//item[@sku='b'] > 4", True),
        ("//item > 5", False),
        ("/order/@id = 7", True),
        ("sum(//item) = 7", True),
        ("//item[2]/@sku = 'b'", True),
        ("//item[last()] = 5", True),
        ("//item[position() = 1] = 2", True),
        ("not(/order/missing)", True),
        ("boolean(//item[@sku='c'])", False),
        ("contains(/order/status, 'ship') and starts-with(/order/status, 's')", True),
        ("ends-with(/order/status, 'ped') or false()", True),
        ("/order/items/item[1]/../../status = 'shipped'", True),
        ("string-length(/order/status) = 7", True),
        ("normalize-space(' a  b ') = 'a b'", True),
        ("upper-case(/order/status) = 'SHIPPED'", True),
        ("/order/text() = 'note'", True),
        ("//item[. = 5]/@sku = 'b'", True),
        ("2 * 3 + 1 = 7 and 10 div 4 = 2.5 and 7 mod 3 = 1", True),
        ("-//item[1] = -2", True),
        ("count(//item | /order/status) = 3", True),
        ("exists(//item) and empty(//nothing)", True),
        ("matches(/order/status, '^sh.+d$')", True),
        ("substring('shipped', 2, 3) = 'hip'", True),
        ("concat(/order/status, '!') = 'shipped!'", True),
        ("round(2.5) = 3 and floor(2.7) = 2 and ceiling(2.1) = 3", True),
        ("local-name(/*) = 'order'", True),
        ("*:order/*:status = 'shipped'", True),
        ("/ns:order/ns:status = 'shipped'", False),  # ns is not declared by the document: false, logged
        ("count(/order/*) = 2", True),
        ("count(//@*) = 3", True),
        ("'' ", False),
        ("'x'", True),
        ("0", False),
    ],
)
def test_xpath_subset(expression: str, expected: bool) -> None:
    assert XPATH["xpath_test"](ORDER_XML, expression) is expected


def test_xpath_on_text_that_is_not_xml_is_false() -> None:
    assert XPATH["xpath_test"]("not xml", "true()") is False
    assert XPATH["xpath_test"](b"", "true()") is False


def test_xpath_dynamic_error_makes_the_criterion_false_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    # '<status>' is text: in XPath 2.0 and later, adding 1 to it is a dynamic error (FORG0001)
    with caplog.at_level("WARNING"):
        assert XPATH["xpath_test"](ORDER_XML, "/order/status + 1 > 0") is False
    assert "could not be evaluated" in caplog.text
    assert XPATH["xpath_test"](ORDER_XML, "/order/status + 1 > 0", "xpath-10") is False  # NaN > 0, no error


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("for $x in /a return $y", "the variable $y is not bound"),
        ("$x", "the variable $x is not bound"),
        ("foo(1)", "[err:XPST0017] unknown function 'foo'"),
        ("/a[", "[err:XPST0003] unexpected end of source"),
        ("count()", "[err:XPST0017] Too few arguments"),
        ("doc('orders.xml')/order", "the function doc() reads outside the value the criterion tests"),
        ("", "empty XPath expression"),
    ],
)
def test_xpath_that_elementpath_does_not_parse_or_the_generator_refuses_is_rejected(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_xpath(expression)
    assert message in caught.value.message


def test_xpath_beyond_the_old_subset_is_accepted() -> None:
    for expression in ("/a/namespace::b", "/a instance of element()", "map { 'a': 1 }?a = 1", "/a/comment()"):
        check_xpath(expression)


def test_xpath_replacement_targets_must_be_location_paths() -> None:
    assert xpath_is_location_path("/order/status")
    assert xpath_is_location_path("/order/@id")
    assert not xpath_is_location_path("count(/order)")


def test_xml_replace_sets_elements_and_attributes() -> None:
    replace = XPATH["xml_replace"]
    text = '<?xml version="1.0"?><order id="0"><petId>1</petId><q a="1">x<b/></q></order>'
    out = replace(text, [("/order/petId", 42), ("/order/@id", "z"), ("/order/q", True)])
    assert out == '<?xml version="1.0"?>\n<order id="z"><petId>42</petId><q a="1">true</q></order>'
    with pytest.raises(XPATH["WorkflowError"], match="selects nothing"):
        replace(text, [("/order/missing", 1)])
    with pytest.raises(XPATH["WorkflowError"], match="payload replacement: "):
        replace("not <xml", [("/order/petId", 1)])


# ---------------------------------------------------------------------------
# Quirks of real documents (issue 14): accepted only where the caller asks
# ---------------------------------------------------------------------------


def test_body_dot_path_is_the_json_pointer_it_spells() -> None:
    from arazzo_codegen.expressions import body_dot_path

    assert body_dot_path("$response.body.category.name") == ResponseBody(("category", "name"))
    assert body_dot_path("$request.body.tags.0") == RequestBody(("tags", "0"))
    assert body_dot_path("$response.header.x") is None
    for text, offset in (("$response.body.items[0].id", 20), ("$response.body.a..b", 17), ("$response.body.a#/b", 16), ("$response.body.a~b", 16)):
        with pytest.raises(ExpressionError) as info:
            body_dot_path(text)
        assert info.value.offset == offset, text
        assert "cannot be read as a JSON pointer without guessing" in info.value.message


def test_double_quoted_strings_only_with_a_quirks_list() -> None:
    from arazzo_codegen.expressions import Quirk, apply_quirks

    text = """$response.body#/name == "it's" && $statusCode == 200"""
    with pytest.raises(ExpressionError, match="unexpected character"):
        parse_condition(text)  # the grammar has single quotes only
    quirks: list[Quirk] = []
    tree = parse_condition(text, quirks)
    assert tree == And(Compare("==", Ref(ResponseBody(("name",)), 0), Literal("it's")), Compare("==", Ref(StatusCode(), 34), Literal(200)))
    assert [(q.start, q.end) for q in quirks] == [(24, 30)]
    assert apply_quirks(text, quirks) == "$response.body#/name == 'it''s' && $statusCode == 200"
    fixed = parse_condition(apply_quirks(text, quirks))  # the spec's form, no quirk needed
    assert isinstance(fixed, And) and fixed.left == tree.left
    with pytest.raises(ExpressionError, match="backslash"):
        parse_condition('$response.body#/name == "a\\nb"', [])
