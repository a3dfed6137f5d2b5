"""Reading YAML that cannot exhaust the machine: a nesting-depth limit and an alias-expansion budget.

Why: PyYAML's safe loader is safe against code execution, not against size. A file nested 20,000 levels
deep overflows Python's recursion, and an "alias bomb" (9 anchors each repeating the previous one 9
times) composes into a small graph that expands to 9⁹ nodes as soon as anything walks it as a tree —
which every later step of parsing a config does. Both are refused while the file is composed, before
anything is built: a node deeper than ``MAX_DEPTH`` or a document whose nodes, every alias counted as a
full copy of what it names, exceed ``MAX_NODES``. The error names the line and column where it happened.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = ["MAX_DEPTH", "MAX_NODES", "YAMLTooLarge", "load_yaml"]

MAX_DEPTH = 100  # nested mappings and lists
MAX_NODES = 100_000  # nodes of the document once every alias is expanded


class YAMLTooLarge(yaml.YAMLError):
    """The document is nested too deep or expands (through aliases) to too many nodes."""

    def __init__(self, message: str, mark: Any) -> None:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        super().__init__(message + where)


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that counts depth and expanded size while it composes the node graph."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes in its expansion; aliases reuse the entry

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLTooLarge(f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        size = self._sizes.get(id(node))
        if size is None:  # a new node; an alias returns a node already measured
            size = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
            self._sizes[id(node)] = size
        if size > MAX_NODES:
            raise YAMLTooLarge(f"aliases expand the document to more than {MAX_NODES:,} nodes", mark)
        return node


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(text: str, *, name: str) -> Any:
    """The document in ``text`` (safe types only); ``yaml.YAMLError`` (marks naming ``name``) if invalid
    or too large."""
    loader = _BoundedLoader(text)
    loader.name = name
    try:
        return loader.get_single_data()
    except RecursionError as exc:  # a backstop: MAX_DEPTH keeps the composer far from the limit
        raise YAMLTooLarge(f"nested deeper than {MAX_DEPTH} levels", None) from exc
    finally:
        loader.dispose()
