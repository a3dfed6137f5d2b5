"""Tests for restloom.expressions: the seed forms, native values, compile errors, the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from restloom.errors import ConfigError, ConfigIssue
from restloom.expressions import (
    KNOWN_PAGINATOR_VARIABLES,
    Expression,
    ExpressionEvaluationError,
    compile_expression,
)

PATH = "resources[3].endpoint.paginator.stop_condition"
KNOWN = "known: response, headers, last_record, last_page_size, page_count, status_code"


def evaluate(source: str, **context: Any) -> Any:
    return compile_expression(source, path=PATH).evaluate(context)


@pytest.mark.parametrize(
    ("source", "response", "expected"),
    [
        ('{{ not response.get("paging", {}).get("next", {}) }}', {"data": []}, True),
        ('{{ not response.get("paging", {}).get("next", {}) }}', {"paging": {"next": "https://h/p2"}}, False),
        ('{{ response.get("paging", {}).get("next", {}) }}', {"paging": {}}, {}),
        (
            '{{ response.get("paging", {}).get("next", {}) }}',
            {"paging": {"next": "https://h/p2"}},
            "https://h/p2",
        ),
        ('{{ not response.get("has_more", {}) }}', {"has_more": True}, False),
        ('{{ not response.get("has_more", {}) }}', {"has_more": False}, True),
        ("not response.get('next_page', {})", {"next_page": None}, True),
        ("not response.get('next_page', {})", {"next_page": "https://h/?page=2"}, False),
        ("response.get('count', {}) <= 1", {"count": 1}, True),
        ("response.get('count', {}) <= 1", {"count": 1000}, False),
        ("response.get('data')|length == 0", {"data": []}, True),
        ("response.get('data')|length == 0", {"data": [{"id": 1}]}, False),
        ("response.get('data')|length", {"data": [1, 2, 3]}, 3),
        ("  {{ response.get('data') }}\n", {"data": [1, 2]}, [1, 2]),
        ("response.meta.next_cursor", {"meta": {"next_cursor": "c2"}}, "c2"),
        ("response.paging.next", {"data": []}, None),
        ("response['meta']['next_cursor']", {"meta": {"next_cursor": None}}, None),
    ],
)
def test_seed_forms_return_native_values(source: str, response: dict[str, Any], expected: Any) -> None:
    """Bare expressions and single {{ }} blocks return the expression's native Python value."""
    assert evaluate(source, response=response) == expected
    assert type(evaluate(source, response=response)) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("page {{ page_count }} of {{ last_page_size }}", "page 2 of 10"),
        ("{{ page_count }}{{ last_page_size }}", "210"),
        ("{% if status_code == 200 %}ok{% endif %}", "ok"),
        ("{% set n = page_count + 1 %}{{ n }}", "3"),
    ],
)
def test_mixed_templates_render_to_strings(source: str, expected: str) -> None:
    """A template that is not a single block renders to a string."""
    assert evaluate(source, page_count=2, last_page_size=10, status_code=200) == expected


def test_other_variables_and_comparisons() -> None:
    """Every known variable is usable; comparisons and arithmetic give native values."""
    context = {
        "response": {"count": 5},
        "headers": {"x-next": "abc"},
        "last_record": {"id": "act_9"},
        "last_page_size": 10,
        "page_count": 4,
        "status_code": 200,
    }
    assert evaluate("headers.get('x-next')", **context) == "abc"
    assert evaluate("last_record.id", **context) == "act_9"
    assert evaluate("last_page_size < 100 and page_count >= 4", **context) is True
    assert evaluate("response.count * 2 + page_count", **context) == 14
    assert evaluate("status_code != 200", **context) is False


def test_custom_known_variables() -> None:
    """known_variables replaces the paginator set, so other callers can expose their own names."""
    known = ("record", "suffix")
    expression = compile_expression("record.id ~ '-' ~ suffix", path="p", known_variables=known)
    assert expression.evaluate({"record": {"id": 7}, "suffix": "x"}) == "7-x"


def test_expression_keeps_source_and_path() -> None:
    """The compiled expression remembers what was written and where."""
    expression = compile_expression("page_count > 3", path=PATH)
    assert isinstance(expression, Expression)
    assert (expression.source, expression.path) == ("page_count > 3", PATH)


def test_compiling_does_not_change_results_between_evaluations() -> None:
    """An expression is compiled once and evaluated many times independently."""
    expression = compile_expression("response.get('data')|length == 0", path=PATH)
    assert [expression.evaluate({"response": {"data": d}}) for d in ([], [1], [])] == [True, False, True]


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        (
            "respons.get('data')|length == 0",
            [f"unknown variable 'respons' ({KNOWN}) — did you mean 'response'?"],
        ),
        ("{{ pages }}", [f"unknown variable 'pages' ({KNOWN})"]),
        (
            "responze.x or heders.y",
            [
                f"unknown variable 'heders' ({KNOWN}) — did you mean 'headers'?",
                f"unknown variable 'responze' ({KNOWN}) — did you mean 'response'?",
            ],
        ),
        ("response.get(", ["invalid expression: unexpected 'end of template' in 'response.get('"]),
        ("response ]", ["invalid expression: unexpected ']' in 'response ]'"]),
        (
            "response page_count",
            ["invalid expression: unexpected 'page_count' after the expression in 'response page_count'"],
        ),
        ("{{ response }", ["invalid expression: unexpected '}' in '{{ response }'"]),
        ("response|lenght", ["invalid expression: No filter named 'lenght' in 'response|lenght'"]),
        (
            "{% if response %}x",
            [
                "invalid expression: Unexpected end of template. Jinja was looking for "
                "the following tags: 'elif' or 'else' or 'endif'. The innermost block that "
                "needs to be closed is 'if' in '{% if response %}x'"
            ],
        ),
    ],
)
def test_compile_errors_name_the_path(source: str, messages: list[str]) -> None:
    """Syntax errors and unknown variables are config errors at parse time, with the config path."""
    with pytest.raises(ConfigError) as caught:
        compile_expression(source, path=PATH)
    assert caught.value.issues == tuple(ConfigIssue(PATH, message) for message in messages)


def test_long_sources_are_truncated_in_messages() -> None:
    """A long expression does not produce a message longer than 300 characters."""
    source = "response.get('data') " + "+ 1 " * 200 + "]"
    with pytest.raises(ConfigError) as caught:
        compile_expression(source, path=PATH)
    (issue,) = caught.value.issues
    shown = f"{source[:80]}...({len(source) - 80} more characters)"
    assert issue.message == f"invalid expression: unexpected ']' in '{shown}'"
    assert len(issue.message) < 300


def test_non_string_source_is_a_config_error() -> None:
    """A number or a list where an expression belongs is reported, not crashed on."""
    with pytest.raises(ConfigError) as caught:
        compile_expression(True, path=PATH)  # type: ignore[arg-type]
    assert caught.value.issues == (ConfigIssue(PATH, "expected an expression string, got bool"),)


def test_evaluation_failure_is_wrapped_with_path() -> None:
    """A failure on real data carries the expression, a short reason and the config path."""
    expression = compile_expression("response.get('count', {}) <= 1", path=PATH)
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression.evaluate({"response": {}})
    reason = "TypeError: '<=' not supported between instances of 'dict' and 'int'"
    assert caught.value.expression is expression
    assert caught.value.reason == reason
    assert str(caught.value) == f"expression at {PATH} failed: {reason}"


def test_removed_globals_are_unknown() -> None:
    """cycler, joiner, namespace, lipsum and range are not available to configs."""
    for name in ("cycler", "joiner", "namespace", "lipsum", "range"):
        with pytest.raises(ConfigError) as caught:
            compile_expression(f"{name}(3)", path=PATH)
        assert caught.value.issues[0].message.startswith(f"unknown variable '{name}' (known: ")


COMPILE_TIME_ESCAPES = [
    "response.__class__",
    "response.__class__.__mro__[1].__subclasses__()",
    "().__class__.__base__.__subclasses__()",
    "cycler.__init__.__globals__",
    "joiner.__init__.__globals__",
    "namespace.__init__.__globals__",
    "lipsum.__globals__",
    "self.__init__.__globals__",
    "self",
    "request.application.__globals__",
    "response.get.__self__",
    '"".__class__.__mro__',
    "config.__class__",
    "response['__class__']",
    "{{ response.__class__ }}",
]

RUNTIME_ESCAPES = [
    "response.update({'a': 1})",
    "response.setdefault('a', 1)",
    "response.get('data').append(1)",
    '"{0.__class__}".format(response)',
    '"{0.get.__self__}".format(response)',
    "response|attr('__class__')",
    "response[headers.key]",
    "'a' * 1000000",
    "[0] * 1000000",
    "9 ** 999999",
    "x {{ response|attr('__class__') }}",
]


@pytest.mark.parametrize("source", COMPILE_TIME_ESCAPES)
def test_sandbox_escapes_refused_at_compile_time(source: str) -> None:
    """Private attributes and unknown names (cycler, self, request, config) never compile."""
    with pytest.raises(ConfigError) as caught:
        compile_expression(source, path=PATH)
    assert {issue.path for issue in caught.value.issues} == {PATH}


@pytest.mark.parametrize("source", RUNTIME_ESCAPES)
def test_sandbox_escapes_refused_at_evaluation(source: str) -> None:
    """Dynamic escapes and mutations raise a SecurityError-based evaluation error, data untouched."""
    response: dict[str, Any] = {"data": []}
    expression = compile_expression(source, path=PATH)
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression.evaluate({"response": response, "headers": {"key": "__class__"}})
    assert caught.value.reason.startswith("SecurityError: ")
    assert response == {"data": []}


def test_string_format_attack_message() -> None:
    """The str.format attack is refused by the sandbox with a message naming the attribute."""
    expression = compile_expression('"{0.__class__}".format(response)', path=PATH)
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression.evaluate({"response": {}})
    assert caught.value.reason == "SecurityError: access to attribute '__class__' of 'dict' object is unsafe"


def test_private_attribute_is_compile_error_message() -> None:
    """Private attribute access is rejected at compile time with an exact message."""
    with pytest.raises(ConfigError) as caught:
        compile_expression("response.get.__self__", path=PATH)
    assert caught.value.issues == (
        ConfigIssue(PATH, "access to '__self__' is not allowed in 'response.get.__self__'"),
    )


def test_known_variables_constant() -> None:
    """The paginator variables are the documented ones, in order."""
    assert KNOWN_PAGINATOR_VARIABLES == (
        "response",
        "headers",
        "last_record",
        "last_page_size",
        "page_count",
        "status_code",
    )
