"""Config expressions (``stop_condition``, ``cursor_value``, any ``{{ }}``) in Jinja's sandbox.

Why: a config may compute when pagination stops or where the next cursor comes from. We compile
each expression once, at config-parse time, so a typo is a ``ConfigError`` naming its config path
instead of a failure on page 40, and we evaluate it in an immutable sandbox so a config can read the
response but never reach Python internals or mutate anything.

Three forms are accepted:

- a bare expression, ``response.get('data')|length == 0`` (no ``{{`` / ``{%``): its native value;
- a single block, ``{{ not response.get("has_more") }}`` (whitespace around allowed): the native
  value of the one expression inside, so ``{{ response.get("paging", {}).get("next", {}) }}`` is
  ``{}`` (falsy) when there is no next page and the URL string when there is;
- any other template (text mixed with blocks, ``{% %}`` statements): rendered to a string.

Safety, in three layers: at compile time an attribute or constant subscript starting with ``_``, any
variable outside ``known_variables`` (including Jinja's ``self``) and any statement that repeats or
recurses (``{% for %}``, ``{% macro %}``, ``{% call %}``) is a config error; at evaluation time the
sandbox refuses unsafe attributes (``|attr('__class__')``, ``"{0.__class__}".format(x)``) and mutating
methods (``response.update(...)``); and every operation that could build more than its inputs is
bounded before it runs (``restloom.sandbox``: strings and lists, integers, the total an evaluation
builds, its time). Each refusal raises, and ``Expression.evaluate`` turns it into
``ExpressionEvaluationError``. Missing keys reached by attribute (``response.paging.next``) are
chainable-undefined, like ``.get()`` returning ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser

from restloom.errors import ConfigError, ConfigIssue
from restloom.sandbox import Sandbox, bounded
from restloom.text import did_you_mean, truncate

__all__ = [
    "KNOWN_PAGINATOR_VARIABLES",
    "Expression",
    "ExpressionEvaluationError",
    "compile_expression",
    "constant_issues",
]

KNOWN_PAGINATOR_VARIABLES = (
    "response",
    "headers",
    "last_record",
    "last_page_size",
    "page_count",
    "status_code",
)

_MESSAGE_LIMIT = 300
_SOURCE_LIMIT = 80
_REMOVED_GLOBALS = ("cycler", "joiner", "namespace", "lipsum", "range")
# statements that repeat or recurse: a stop/cursor expression decides from one response, and without them
# the bounded operations of ``restloom.sandbox`` bound an evaluation's time as well as its size
_REFUSED_STATEMENTS = {nodes.For: "{% for %} loops", nodes.Macro: "{% macro %} definitions",
                       nodes.CallBlock: "{% call %} blocks"}


def _build_environment() -> Sandbox:
    env = Sandbox(undefined=jinja2.ChainableUndefined, autoescape=False)
    for name in _REMOVED_GLOBALS:
        env.globals.pop(name, None)
    return env


_ENV = _build_environment()  # built once at import, never mutated afterwards


class ExpressionEvaluationError(Exception):
    """An expression failed on real data; the engine wraps it into ``ExpressionError``."""

    def __init__(self, expression: Expression, reason: str) -> None:
        self.expression = expression
        self.reason = reason
        super().__init__(f"expression at {expression.path} failed: {reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """A compiled config expression: evaluate it with a context of known variables."""

    source: str
    path: str
    _run: Callable[[dict[str, Any]], Any] = field(repr=False, compare=False)
    _tree: nodes.Template | None = field(default=None, repr=False, compare=False)

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The expression's native value (a string for mixed templates) in ``context``."""
        try:
            with bounded():
                value = self._run(dict(context))
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            raise ExpressionEvaluationError(self, truncate(reason, 200)) from exc
        return None if isinstance(value, jinja2.Undefined) else value


def compile_expression(
    source: str, *, path: str, known_variables: Sequence[str] = KNOWN_PAGINATOR_VARIABLES
) -> Expression:
    """Compile ``source`` once; raise ``ConfigError`` (naming ``path``) if it is invalid or unsafe."""
    if not isinstance(source, str):
        issue = ConfigIssue(path, f"expected an expression string, got {type(source).__name__}")
        raise ConfigError([issue])
    try:
        tree, native = _parse(source)
        issues = _check(tree, source=source, path=path, known_variables=known_variables)
        if issues:
            raise ConfigError(issues)
        run = _compile(tree, native=native)  # unknown filters and tests are reported here
    except jinja2.TemplateSyntaxError as exc:
        message = f"invalid expression: {(exc.message or '').rstrip('.')} in {_quote(source)}"
        raise ConfigError([ConfigIssue(path, truncate(message, _MESSAGE_LIMIT))]) from exc
    return Expression(source=source, path=path, _run=run, _tree=tree)


def constant_issues(expression: Expression) -> list[ConfigIssue]:
    """Config issues for the parts of ``expression`` that read no variable and trip a sandbox bound
    (``'x'|center(10**9)``, ``((9**128)**128)**128``): evaluated once, now, so the config is refused when
    parsed instead of failing on the first page. Other failures are left to evaluation (the branch may
    never run)."""
    if expression._tree is None:
        return []
    for node in _constant_subexpressions(expression._tree):
        try:
            with bounded():
                _compile(_assign_result(node), native=True)({})
        except SecurityError as exc:
            message = f"{exc} in {_quote(expression.source)}"
            return [ConfigIssue(expression.path, truncate(message, _MESSAGE_LIMIT))]
        except Exception:  # it fails the same way on real data, with its path
            continue
    return []


# node types whose value depends on the context: a subexpression without them is a constant
_CONTEXTUAL = (nodes.Name, nodes.ContextReference, nodes.DerivedContextReference, nodes.InternalName,
               nodes.ImportedName, nodes.EnvironmentAttribute, nodes.ExtensionAttribute)


def _constant_subexpressions(node: nodes.Node) -> Iterator[nodes.Expr]:
    """The largest subexpressions of ``node`` that read no variable (single constants left out)."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Expr) and _is_constant(child):
            yield child
        else:
            yield from _constant_subexpressions(child)


def _is_constant(node: nodes.Expr) -> bool:
    """True for an expression that reads no variable and is worth evaluating (not a lone constant)."""
    if isinstance(node, (*_CONTEXTUAL, nodes.Literal)) or any(True for _ in node.find_all(_CONTEXTUAL)):
        return False
    return not _has_blockless_filter(node)


def _has_blockless_filter(node: nodes.Node) -> bool:
    """True when a filter of a ``{% filter %}`` block (which has no operand of its own) is inside."""
    filters = [node] if isinstance(node, nodes.Filter) else []
    return any(f.node is None for f in [*filters, *node.find_all(nodes.Filter)])


def _parse(source: str) -> tuple[nodes.Template, bool]:
    """The template AST and whether it yields a native value (bare or single-block source)."""
    if "{{" not in source and "{%" not in source:
        parser = Parser(_ENV, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise jinja2.TemplateSyntaxError(
                f"unexpected {parser.stream.current.value!r} after the expression",
                parser.stream.current.lineno,
            )
        return _assign_result(expr), True
    tree = _ENV.parse(source)
    single = _single_expression(tree)
    if single is None:
        return tree, False
    return _assign_result(single), True


def _single_expression(tree: nodes.Template) -> nodes.Expr | None:
    """The expression of a source that is one ``{{ ... }}`` block with only whitespace around."""
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output):
        return None
    parts = [
        part
        for part in tree.body[0].nodes
        if not (isinstance(part, nodes.TemplateData) and not part.data.strip())
    ]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


def _assign_result(expr: nodes.Expr) -> nodes.Template:
    """A template that stores the expression's value in ``result`` (what Jinja's own
    ``compile_expression`` builds), so the native value can be read back."""
    tree = nodes.Template([nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)], lineno=1)
    tree.set_environment(_ENV)
    return tree


def _compile(tree: nodes.Template, *, native: bool) -> Callable[[dict[str, Any]], Any]:
    template = _ENV.from_string(tree)
    if native:
        return TemplateExpression(template, undefined_to_none=True)
    return template.render


def _check(
    tree: nodes.Template, *, source: str, path: str, known_variables: Sequence[str]
) -> list[ConfigIssue]:
    """Config issues for unknown variables and private attribute access, in a stable order."""
    issues: list[ConfigIssue] = []
    names = set(meta.find_undeclared_variables(tree))
    names.update(node.name for node in tree.find_all(nodes.Name) if node.name == "self")
    for name in sorted(names - set(known_variables)):
        issues.append(ConfigIssue(path, _unknown_variable_message(name, known_variables)))
    for attribute in sorted(_private_attributes(tree)):
        message = f"access to {attribute!r} is not allowed in {_quote(source)}"
        issues.append(ConfigIssue(path, truncate(message, _MESSAGE_LIMIT)))
    for kind, what in _REFUSED_STATEMENTS.items():
        if any(True for _ in tree.find_all(kind)):
            message = f"{what} are not allowed in an expression (filters such as map, select, sum and length " \
                      f"work on lists) in {_quote(source)}"
            issues.append(ConfigIssue(path, truncate(message, _MESSAGE_LIMIT)))
    return issues


def _private_attributes(tree: nodes.Template) -> set[str]:
    found = {node.attr for node in tree.find_all(nodes.Getattr) if node.attr.startswith("_")}
    for node in tree.find_all(nodes.Getitem):
        key = node.arg
        if isinstance(key, nodes.Const) and isinstance(key.value, str) and key.value.startswith("_"):
            found.add(key.value)
    return found


def _unknown_variable_message(name: str, known_variables: Sequence[str]) -> str:
    message = f"unknown variable {name!r} (known: {', '.join(known_variables)})"
    return truncate(message + did_you_mean(name, known_variables), _MESSAGE_LIMIT)


def _quote(source: str) -> str:
    return f"'{truncate(source, _SOURCE_LIMIT)}'"
