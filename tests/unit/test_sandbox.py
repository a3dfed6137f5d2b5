"""Tests for restloom.sandbox: what one expression evaluation may build, checked before it is built."""

from __future__ import annotations

from typing import Any

import pytest

from restloom.expressions import ExpressionEvaluationError, compile_expression

PATH = "resources[0].endpoint.paginator.cursor_value"
LIMIT = "would build more than 100,000 characters or items (the limit for one value)"


def evaluate(source: str, **context: Any) -> Any:
    return compile_expression(source, path=PATH).evaluate({"response": {}, **context})


@pytest.mark.parametrize(("source", "reason"), [
    ("'x'.ljust(10**9)", f"ljust {LIMIT}"),
    ("'x'.zfill(10**9)", f"zfill {LIMIT}"),
    ("('x\\t' * 50000).expandtabs(10000)", f"expandtabs {LIMIT}"),
    ("('x' * 100000).replace('x', 'y' * 100000)", f"replace {LIMIT}"),
    ("('y' * 1000).join('x' * 1000)", f"join {LIMIT}"),
    ("(1).to_bytes(10**9, 'big')", f"to_bytes {LIMIT}"),
    ("('x' * 90000).encode().hex()", f"hex {LIMIT}"),
    ("'x'|indent(10**9, true)", f"indent {LIMIT}"),
    ("('a ' * 50000)|wordwrap(1, wrapstring='y' * 1000)", f"wordwrap {LIMIT}"),
    ("('x' * 100000)|replace('x', 'yy')", f"replace {LIMIT}"),
    ("('x' * 1000)|list|join('y' * 1000)", f"join {LIMIT}"),
    ("'%s%s'|format('x' * 60000, 'x' * 60000)", f"format {LIMIT}"),
    ("[1]|batch(10**9, 0)|list", f"batch {LIMIT}"),
    ("[1]|slice(10**9)|list", f"slice {LIMIT}"),
    ("[0]|tojson(indent=10**9)", f"tojson {LIMIT}"),
    ("[[0] * 1000] * 1000", f"sequence repetition {LIMIT}"),
    ("'%(a)s%(a)s' % {'a': 'x' * 90000}", f"% formatting {LIMIT}"),
    ("'%*d' % (10**9, 1)", "a '*' width or precision is not allowed in % formatting"),
    ("'%.1000000000f' % 1.0", f"% formatting {LIMIT}"),
    ("'{0}{0}'.format('x' * 90000)", f"str.format {LIMIT}"),
    ("'{:.1000000000f}'.format(1.0)", f"str.format {LIMIT}"),
    ("'x' * 90000 ~ 'x' * 90000", f"'~' {LIMIT}"),
    ("'x' * 90000 + 'x' * 90000", f"'+' {LIMIT}"),
    ("(2**2000) * (2**2000) * (2**2000)", "the result of '*' would have about 6,002 bits (limit 4,096)"),
    ("9 ** 2000", "the result of '**' would have about 8,000 bits (limit 4,096)"),
    ("{% set a = 'x' * 90000 %}{% set b = a ~ a %}{{ b }}", f"'~' {LIMIT}"),
    ("{% set a = 'x' * 90000 %}" + "{{ a }}" * 12,
     "the expression built more than 1,000,000 characters or items in all"),
    ("{% set a = [1, 2] %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{% set c = [b, b, b, b, b, b, b, b, b, b] %}"
     "{% set d = [c, c, c, c, c, c, c, c, c, c] %}{% set e = [d, d, d, d, d, d, d, d, d, d] %}"
     "{% set f = [e, e, e, e, e, e, e, e, e, e] %}{{ f }}",
     f"rendering {LIMIT}"),
])
def test_growth_is_refused_before_it_happens(source: str, reason: str) -> None:
    """Each way to build a huge string, list or number from a small expression raises a SecurityError
    naming the bound, quickly and without building it."""
    with pytest.raises(ExpressionEvaluationError) as caught:
        evaluate(source)
    assert caught.value.reason == f"SecurityError: {reason}"


@pytest.mark.parametrize(("source", "expected"), [
    ("'%05d' % page_count", "00003"),
    ("'{:>6}|{}'.format('ab', page_count)", "    ab|3"),
    ("'page-%(n)s' % {'n': page_count}", "page-3"),
    ("'a b c'|replace(' ', '-')", "a-b-c"),
    ("['a', 'b']|join(',')", "a,b"),
    ("'x'|center(5)", "  x  "),
    ("'x' ~ page_count ~ 'y'", "x3y"),
    ("(2**64) * (2**64)", 2**128),
    ("page_count ** 3", 27),
    ("response.get('data', [])|map(attribute='id')|join(',')", "1,2"),
    ("response.get('data')|tojson", '[{"id": 1}, {"id": 2}]'),
    ("{% set n = page_count * 2 %}{{ n }}-{{ 'x' * 3 }}", "6-xxx"),
])
def test_ordinary_expressions_are_unchanged(source: str, expected: Any) -> None:
    """Formatting, joining, arithmetic and filters within the bounds give the same values as before."""
    assert evaluate(source, page_count=3, response={"data": [{"id": 1}, {"id": 2}]}) == expected


def test_large_responses_pass_through() -> None:
    """Reading a response larger than the bounds is not building: only what an expression makes is bounded."""
    data = [{"id": i, "text": "x" * 100} for i in range(20_000)]
    assert evaluate("response.get('data')|length > 0 and response.get('data')[-1].id", response={"data": data}) \
        == 19_999
    assert evaluate("response.get('data')|last", response={"data": data}) is data[-1]


def test_the_budget_is_per_evaluation() -> None:
    """An expression that builds close to the bounds can be evaluated again and again."""
    expression = compile_expression("('x' * 90000)|length", path=PATH)
    assert [expression.evaluate({}) for _ in range(20)] == [90_000] * 20
