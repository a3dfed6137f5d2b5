"""The Jinja sandbox config expressions run in, with bounds on what one evaluation may build.

Why: Jinja's immutable sandbox keeps an expression away from Python internals, not from the machine:
``'x'|center(10**9)``, ``'%01000000000d' % 1`` and ``'{:>1000000000}'.format(1)`` each build a 1 GB
string in one C call, and ``((9**128)**128)**128`` computes a number of millions of digits. Nothing can
interrupt a C call from another thread (signals only reach the main thread, and expressions run on the
engine's worker threads), so every operation that can make something larger than its inputs is checked
*before* it runs:

- a string, list or rendered value an operation builds is at most ``MAX_SIZE`` characters or items,
  nested values counted in full (``[[0] * 1000] * 1000`` is a million) — ``*``, ``+``, ``~``, ``%``,
  ``str.format``, the width-taking methods (``center``, ``ljust``, ``rjust``, ``zfill``, ``expandtabs``,
  ``replace``, ``join``, ``translate``) and filters (``center``, ``indent``, ``wordwrap``, ``truncate``,
  ``format``, ``join``, ``replace``, ``batch``, ``slice``, ``tojson``, ``string``, ...), and every
  value a template renders;
- an integer an operation builds is at most ``MAX_INT_BITS`` bits, estimated before ``**`` or ``*``;
- one evaluation builds at most ``MAX_BUILT`` characters or items in all and runs at most
  ``MAX_SECONDS`` (checked at every bounded operation: a backstop, since loops are refused when the
  expression is compiled and no single operation is unbounded).

A bound that trips raises ``SecurityError`` naming it; ``restloom.expressions`` turns that into a
config error when it can be seen at compile time and into ``ExpressionEvaluationError`` otherwise.
"""

from __future__ import annotations

import contextvars
import functools
import operator
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import _PassArg

__all__ = ["MAX_BUILT", "MAX_INT_BITS", "MAX_SECONDS", "MAX_SIZE", "Sandbox", "bounded"]

MAX_SIZE = 100_000
MAX_INT_BITS = 4096
MAX_BUILT = 1_000_000
MAX_SECONDS = 5.0


class _Budget:
    """What one evaluation has built so far and when it must end."""

    def __init__(self) -> None:
        self.built = 0
        self.deadline = time.monotonic() + MAX_SECONDS


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("restloom_expression_budget", default=None)


@contextmanager
def bounded() -> Iterator[None]:
    """Run one evaluation under a fresh budget (per thread: the budget lives in a context variable)."""
    token = _BUDGET.set(_Budget())
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(size: int, what: str) -> None:
    """Refuse building ``size`` characters/items for ``what`` over a bound; count it in the budget."""
    if size > MAX_SIZE:
        raise SecurityError(f"{what} would build more than {MAX_SIZE:,} characters or items (the limit for one value)")
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.built += size
    if budget.built > MAX_BUILT:
        raise SecurityError(f"the expression built more than {MAX_BUILT:,} characters or items in all")
    if time.monotonic() > budget.deadline:
        raise SecurityError(f"the expression ran longer than {MAX_SECONDS:g} s")


def deep_size(value: Any, *, indent: int = 0) -> int:
    """Characters/items of ``value`` with nested values counted at every use (stops past the limits);
    ``indent``: what each nesting level adds per item, as ``tojson(indent=...)`` would."""
    total, stack = 0, [(value, 0)]
    while stack and total <= MAX_SIZE:
        item, depth = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + depth * indent
        elif isinstance(item, Mapping):
            total += 2 + len(item) * (1 + (depth + 1) * indent)
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + len(item) * (1 + (depth + 1) * indent)
            stack.extend((part, depth + 1) for part in item)
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        else:
            total += 8
    return total


def _int_bits(left: Any, right: Any, op: str) -> int | None:
    """An upper bound of the bits of ``left op right`` for integers, else None."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return None
    if op == "*":
        return left.bit_length() + right.bit_length()
    if right < 0 or abs(left) <= 1:
        return 1
    return left.bit_length() * right


_PRINTF = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
                     r"(?P<type>[diouxXeEfFgGcrsab%])")


def printf_size(template: str | bytes, args: Any) -> int:
    """An upper bound of the length of ``template % args``; refuses ``*`` widths and huge widths."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    values = list(args.values()) if isinstance(args, Mapping) else list(args) if isinstance(args, tuple) else [args]
    largest = max((deep_size(value) for value in values), default=0)
    total = len(text)
    for match in _PRINTF.finditer(text):
        width, precision = match["width"], match["precision"]
        if "*" in (width, precision):
            raise SecurityError("a '*' width or precision is not allowed in % formatting")
        total += max(int(width or 0), int(precision or 0) + 320, largest)  # 320: the longest float text
    return total


_SPEC = re.compile(r"(?P<width>\d+)?[,_]?(?:\.(?P<precision>\d+))?[a-zA-Z%]?$")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox: each field's width and precision, and the whole result, bounded."""

    def __init__(self, env: jinja2.Environment) -> None:
        super().__init__(env)
        self.built = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _SPEC.search(format_spec)
        width = int(match["width"] or 0) if match else 0
        precision = int(match["precision"] or 0) if match else 0
        size = max(width, precision + 320 if precision else 0, deep_size(value))
        self.built += size
        _charge(self.built, "str.format")
        return super().format_field(value, format_spec)


def _arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any) -> Any:
    """The argument at ``index`` or named ``name`` of a call, or ``default``."""
    return args[index] if len(args) > index else kwargs.get(name, default)


def _estimate_replace(text: Any, old: Any, new: Any, count: Any) -> int:
    if not (isinstance(text, str | bytes) and isinstance(old, str | bytes) and isinstance(new, str | bytes)):
        return deep_size(text)
    try:
        hits = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
    except TypeError:  # str and bytes mixed: replace fails the same way
        return len(text)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _estimate_join(separator: Any, items: list[Any]) -> int:
    return sum(deep_size(item) for item in items) + deep_size(separator) * len(items)


def _estimate_method(name: str, owner: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """What a str/bytes/int method call would build (0 when it cannot grow beyond a small factor)."""
    size = len(owner) if isinstance(owner, str | bytes) else 0
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(size, _as_int(_arg(args, kwargs, 0, "width", 0)))
    if name == "expandtabs":
        return size * max(1, _as_int(_arg(args, kwargs, 0, "tabsize", 8)))
    if name == "replace":
        return _estimate_replace(owner, _arg(args, kwargs, 0, "old", ""), _arg(args, kwargs, 1, "new", ""),
                                 _arg(args, kwargs, 2, "count", -1))
    if name == "translate" and args and isinstance(args[0], Mapping):
        return size * max([1, *(deep_size(v) for v in args[0].values())])
    if name == "to_bytes":
        return _as_int(_arg(args, kwargs, 0, "length", 1))
    return 0


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) else 0


# filter name -> (estimate of what it builds from (value, args, kwargs)); others cannot grow
_FilterEstimate = Callable[[Any, tuple[Any, ...], Mapping[str, Any]], int]
_FILTER_ESTIMATES: dict[str, _FilterEstimate] = {
    "center": lambda v, a, k: max(deep_size(v), _as_int(_arg(a, k, 0, "width", 80))),
    "indent": lambda v, a, k: deep_size(v) + (str(v).count("\n") + 1 if isinstance(v, str) else 1) * (
        len(w) if isinstance(w := _arg(a, k, 0, "width", 4), str) else _as_int(w)),
    "wordwrap": lambda v, a, k: deep_size(v) + (2 * deep_size(v) // max(1, _as_int(_arg(a, k, 0, "width", 79)))
                                                + 1) * deep_size(_arg(a, k, 2, "wrapstring", "\n") or "\n"),
    "truncate": lambda v, a, k: deep_size(v) + deep_size(_arg(a, k, 2, "end", "...")),
    "format": lambda v, a, k: printf_size(str(v), k or a) if isinstance(v, str) else deep_size(v),
    "replace": lambda v, a, k: _estimate_replace(v, _arg(a, k, 0, "old", ""), _arg(a, k, 1, "new", ""),
                                                 _arg(a, k, 2, "count", None)),
    "batch": lambda v, a, k: _as_int(_arg(a, k, 0, "linecount", 0)),
    "slice": lambda v, a, k: _as_int(_arg(a, k, 0, "slices", 0)),
    "tojson": lambda v, a, k: 6 * deep_size(v, indent=_tojson_indent(_arg(a, k, 0, "indent", None))),
}
for _name in ("string", "pprint", "urlencode", "xmlattr", "escape", "e", "forceescape", "striptags", "urlize"):
    _FILTER_ESTIMATES[_name] = lambda v, a, k: deep_size(v)


def _tojson_indent(indent: Any) -> int:
    return len(indent) if isinstance(indent, str) else _as_int(indent)


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with what it would build checked first (and ``join``'s items read once)."""
    passes = _PassArg.from_obj(func) is not None
    estimate = _FILTER_ESTIMATES.get(name)

    @functools.wraps(func)
    def bounded_filter(*args: Any, **kwargs: Any) -> Any:
        head, (value, *rest) = (args[:1], args[1:]) if passes else ((), args)
        if name == "join":
            value = list(value)
            _charge(_estimate_join(_arg(tuple(rest), kwargs, 0, "d", ""), value), "join")
        elif estimate is not None:
            _charge(estimate(value, tuple(rest), kwargs), name)
        return func(*head, value, *rest, **kwargs)

    return bounded_filter


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator with ``~`` sent through the sandbox's bounded concatenation."""

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: Frame) -> None:  # noqa: N802 (Jinja's visitor name)
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


_SEQUENCES = (str, bytes, list, tuple)


class Sandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with bounded operations, made to raise on unsafe attributes.

    Jinja's default returns an undefined value for ``x.__class__``; with a chainable undefined that
    would silently evaluate to ``None``. Raising makes every escape attempt a visible failure.
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _CodeGenerator

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=self._finalize, **options)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise SecurityError(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        bits = _int_bits(left, right, operator_) if operator_ in ("*", "**") else None
        if bits is not None and bits > MAX_INT_BITS:
            raise SecurityError(f"the result of '{operator_}' would have about {bits:,} bits (limit {MAX_INT_BITS:,})")
        if operator_ == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
                    _charge(deep_size(seq) * max(count, 0), "sequence repetition")
            return operator.mul(left, right)
        if operator_ == "%" and isinstance(left, str | bytes):
            _charge(printf_size(left, right), "% formatting")
        if operator_ == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            _charge(len(left) + len(right), "'+'")
        return super().call_binop(context, operator_, left, right)

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        """``~``: the parts as text, joined, if the result stays within the bounds."""
        _charge(sum(deep_size(part) for part in parts), "'~'")
        return str_join(parts)

    def _finalize(self, value: Any) -> Any:
        """Every value a template renders (``{{ x }}`` in a mixed template) is bounded like a result."""
        _charge(deep_size(value), "rendering")
        return value

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str | bytes | int) and not isinstance(owner, bool):
            if name == "join" and isinstance(owner, str | bytes) and args:
                items = list(args[0])
                _charge(_estimate_join(owner, items), "join")
                args = (items, *args[1:])
            else:
                _charge(_estimate_method(name, owner, args, kwargs), name)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(owner, str | bytes) and isinstance(result, str | bytes) and len(result) > len(owner):
            _charge(len(result), name)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` / ``format_map`` through a formatter that bounds every field and the result."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template, is_map, str_type = value.__self__, value.__name__ == "format_map", type(value.__self__)

        def bounded_format(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs = args[0]
                args = ()
            return str_type(_BoundedFormatter(self).vformat(template, args, kwargs))

        return functools.update_wrapper(bounded_format, value)
