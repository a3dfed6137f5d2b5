"""The floor plan: layers import one way, no cycles between restloom's top-level parts, small modules.

Layers, lowest first: the shared modules (``errors``, ``text``, ``sensitive``, ``report``, ``sandbox``,
``expressions``), ``config``, ``http``, ``engine``, ``adapter``, ``catalog``, then ``cli`` and ``dagster``
side by side at the top (neither imports the other). ``testing`` (the simulated APIs) stands apart.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "restloom"
RUNTIME = ("http", "engine", "adapter", "cli", "catalog", "dagster")
MODELS_FOR_RUNTIME = ("restloom.config.models", "restloom.config.selectors")
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every restloom module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("restloom"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("restloom"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (PACKAGE.parent / f"{node.module}.{alias.name}".replace(".", "/")).is_dir()
                         or (PACKAGE.parent / (f"{node.module}.{alias.name}".replace(".", "/") + ".py")).is_file())
    return found


def _sources() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "restloom"


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in _sources().items():
        here = _top(module)
        if here == "restloom":  # the public surface re-exports from everywhere, by design
            continue
        for target in _imports(path):
            there = _top(target)
            if there not in (here, "restloom"):
                edges[here].add(there)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_no_import_cycle_between_top_level_parts() -> None:
    """No cycle among restloom's top-level modules and packages (lazy imports inside functions count)."""
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_config_imports_no_runtime_module() -> None:
    """config/ is a one-way edge: it imports nothing from the HTTP client, engine, dlt adapter, catalog or CLI."""
    offending = {
        f"{module} imports {target}"
        for module, path in _sources().items() if _top(module) == "config"
        for target in _imports(path) if _top(target) in (*RUNTIME, "testing")
    }
    assert offending == set()


def test_runtime_reads_models_not_the_parser() -> None:
    """The HTTP client and the engine read config's models, never its parser, loader or secrets step."""
    offending = {
        f"{module} imports {target}"
        for module, path in _sources().items() if _top(module) in ("http", "engine")
        for target in _imports(path)
        if _top(target) == "config" and target not in ("restloom.config", *MODELS_FOR_RUNTIME)
        and not any(target.startswith(f"{m}.") for m in MODELS_FOR_RUNTIME)
    }
    assert offending == set()


def test_layers_only_import_downwards() -> None:
    """Lower layers never import higher ones (shared < config < http < engine < adapter < catalog < cli)."""
    order = ["errors", "text", "sensitive", "report", "sandbox", "expressions", "config", "http", "engine", "adapter",
             "catalog", "cli", "dagster"]
    upward = {f"{here} -> {there}" for here, targets in _graph().items() if here in order
              for there in targets if there in order and order.index(there) > order.index(here)}
    # the shared modules are one layer: errors and text import nothing of restloom's; report may use
    # errors; expressions may use errors and text
    assert upward == set()


def test_cli_and_dagster_stand_side_by_side() -> None:
    """The two top layers never import each other, and nothing below imports the Dagster layer."""
    edges = _graph()
    assert "dagster" not in edges.get("cli", set())
    assert "cli" not in edges.get("dagster", set())
    assert {here for here, targets in edges.items() if "dagster" in targets} == set()


def test_modules_and_functions_stay_small() -> None:
    """No module over 450 lines and no function over 60 lines (the simulated APIs aside)."""
    too_long: list[str] = []
    for module, path in _sources().items():
        if _top(module) == "testing":
            continue
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{module}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{module}.{node.name}: {length} lines")
    assert too_long == []


def test_every_package_says_what_it_holds_and_may_import() -> None:
    """Each package's __init__ has a docstring naming what lives there and what it may import."""
    missing = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if "import" not in doc:
            missing.append(_module_name(init))
    assert missing == []
