"""The public surface: what ``restloom.__all__`` says, and dlt's ``rest_api_source`` call shape."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import dlt.sources.rest_api as dlt_rest_api

import restloom


def _names_bound_in_init() -> set[str]:
    """Public names that restloom/__init__.py imports or defines at top level."""
    tree = ast.parse(Path(restloom.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_") and name != "annotations"}


def test_all_is_sorted_and_unique() -> None:
    """__all__ is kept sorted, without duplicates."""
    assert list(restloom.__all__) == sorted(set(restloom.__all__))


def test_all_lists_every_public_name_of_the_package_init() -> None:
    """Every public name restloom/__init__.py binds is in __all__, and nothing else is."""
    assert set(restloom.__all__) == _names_bound_in_init()


def test_every_name_in_all_is_importable() -> None:
    """``from restloom import X`` works for each X in __all__, and star-import gives exactly __all__."""
    module = importlib.import_module("restloom")
    for name in restloom.__all__:
        assert getattr(module, name) is not None, name
    namespace: dict[str, object] = {}
    exec("from restloom import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(restloom.__all__)


def test_rest_api_source_accepts_dlts_positional_parameters_in_order() -> None:
    """A call written for dlt's rest_api_source binds the same way to ours (names, order, defaults)."""
    ours = inspect.signature(restloom.rest_api_source).parameters
    theirs = inspect.signature(dlt_rest_api.rest_api_source).parameters
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    dlt_names = [name for name, param in theirs.items() if param.kind in positional]
    our_names = [name for name, param in ours.items() if param.kind in positional]
    assert dlt_names == [
        "config",
        "name",
        "section",
        "max_table_nesting",
        "root_key",
        "schema",
        "schema_contract",
        "parallelized",
    ]
    assert our_names[: len(dlt_names)] == dlt_names
    for name in dlt_names:
        assert ours[name].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name
        assert ours[name].default == theirs[name].default, name


def test_rest_api_source_extras_are_optional() -> None:
    """Anything restloom adds beyond dlt's parameters has a default, so dlt-style calls still bind."""
    ours = inspect.signature(restloom.rest_api_source).parameters
    theirs = inspect.signature(dlt_rest_api.rest_api_source).parameters
    extras = [param for name, param in ours.items() if name not in theirs]
    assert all(param.default is not inspect.Parameter.empty for param in extras), extras
    assert all(param.kind is inspect.Parameter.KEYWORD_ONLY for param in extras), extras
    inspect.signature(restloom.rest_api_source).bind({}, "name", "section", 2, True, None, None, False)
