"""The layers import one way: config/ depends on no later layer."""

from __future__ import annotations

import ast
from pathlib import Path

import restloom.config

CONFIG_DIR = Path(restloom.config.__file__).parent
LATER_LAYERS = ("restloom.http", "restloom.engine", "restloom.adapter", "restloom.cli", "restloom.catalog")


def _imports(file: Path) -> set[str]:
    """Every module a file imports, at any depth of its code (function-level imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_config_imports_no_later_layer() -> None:
    """No module of restloom.config imports http, engine, adapter, cli, catalog or the package front door."""
    offending = {
        f"{file.name}: {name}"
        for file in sorted(CONFIG_DIR.glob("*.py"))
        for name in _imports(file)
        if name == "restloom" or name.startswith(LATER_LAYERS)
    }
    assert offending == set()
