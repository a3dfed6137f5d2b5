"""A simulated API's data: list tables, child lists, single objects, and the mutation step.

Rows keep their creation and update instants as epochs so tables can be served in the vendor's order
(``newest`` first, ``oldest`` first, or ascending ``updated``) whatever the vendor's timestamp format.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from restloom.testing.gen import creation_times, rng_for

__all__ = ["ChildSpec", "Dataset", "ListSpec", "Mutation", "Row", "Table"]

Record = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One record with its creation and last-update epochs."""

    created: int
    updated: int
    record: Record


Maker = Callable[[int, int, random.Random], Row]
"""``(index, created epoch, rng) -> Row``: index 0 is the oldest record."""
Toucher = Callable[[Record, int, random.Random], Record]
"""``(record, new updated epoch, rng) -> record``: a copy with its update time and one field changed."""


@dataclass(frozen=True, kw_only=True)
class ListSpec:
    """How to generate, order and mutate one list resource."""

    name: str
    make: Maker
    touch: Toucher | None = None
    key: str = "id"
    order: Literal["newest", "oldest", "updated"] = "newest"
    mean_gap: int = 3600
    default_size: int | None = None


@dataclass(frozen=True, kw_only=True)
class ChildSpec:
    """A child list per parent record: ``make(parent, parent_index, rng) -> records``."""

    name: str
    parent: str
    make: Callable[[Record, int, random.Random], list[Record]]


@dataclass(frozen=True)
class Mutation:
    """What ``mutate`` did: ids (or keys) updated and added, per resource."""

    updated: dict[str, tuple[Any, ...]]
    added: dict[str, tuple[Any, ...]]


@dataclass
class Table:
    """The rows of one list resource and the served view derived from them."""

    spec: ListSpec
    rows: list[Row]
    _served_rows: list[Row] | None = field(default=None, repr=False)
    _served: list[Record] | None = field(default=None, repr=False)
    _positions: dict[Any, int] | None = field(default=None, repr=False)
    _created: dict[Any, int] | None = field(default=None, repr=False)

    def served_rows(self) -> list[Row]:
        """The rows in served order (cached until the rows change)."""
        if self._served_rows is None:
            order = self.spec.order
            if order == "updated":
                self._served_rows = sorted(self.rows, key=lambda r: (r.updated, r.created))
            else:
                self._served_rows = sorted(self.rows, key=lambda r: r.created, reverse=order == "newest")
        return self._served_rows

    def served(self) -> list[Record]:
        """The records in served order (cached until the rows change)."""
        if self._served is None:
            self._served = [r.record for r in self.served_rows()]
        return self._served

    def position(self, key: Any) -> int | None:
        """Where the record with this key sits in the served order, or None."""
        if self._positions is None:
            self._positions = {r[self.spec.key]: i for i, r in enumerate(self.served())}
        return self._positions.get(key)

    def creation_index(self, key: Any) -> int:
        """0 for the first record ever created, 1 for the next, ..."""
        if self._created is None:
            self._created = {r.record[self.spec.key]: i for i, r in enumerate(self.rows)}
        return self._created[key]

    def invalidate(self) -> None:
        """Forget the served view after the rows changed."""
        self._served_rows, self._served, self._positions, self._created = None, None, None, None


class Dataset:
    """Every table, child list and single object of one simulated API, built from ``(seed, sizes)``."""

    def __init__(self, *, seed: int, size: int, sizes: dict[str, int], lists: tuple[ListSpec, ...],
                 children: tuple[ChildSpec, ...] = (), objects: dict[str, Record] | None = None) -> None:
        self.seed = seed
        self.tables = {s.name: Table(s, _build_rows(s, seed, sizes.get(s.name, s.default_size or size)))
                       for s in lists}
        self.child_specs = {c.name: c for c in children}
        self.objects = dict(objects or {})
        self._children: dict[tuple[str, Any], list[Record]] = {}
        self._lock = threading.Lock()
        self.mutations = 0

    def children(self, name: str, parent_key: Any) -> list[Record] | None:
        """The child list ``name`` of one parent, or None when the parent does not exist."""
        spec = self.child_specs[name]
        table = self.tables[spec.parent]
        position = table.position(parent_key)
        if position is None:
            return None
        cached = self._children.get((name, parent_key))
        if cached is None:
            index = table.creation_index(parent_key)
            cached = spec.make(table.served()[position], index, rng_for(self.seed, name, parent_key))
            self._children[(name, parent_key)] = cached
        return cached

    def forget_children(self) -> None:
        """Derive every child list anew (a parent record changed)."""
        with self._lock:
            self._children.clear()

    def child_truth(self, name: str) -> dict[Any, list[Record]]:
        """Every parent key (served order) mapped to its child list; empty lists included."""
        spec = self.child_specs[name]
        table = self.tables[spec.parent]
        return {r[table.spec.key]: list(self.children(name, r[table.spec.key]) or []) for r in table.served()}

    def latest(self) -> int:
        """The latest creation or update instant in any table."""
        return max((max(r.created, r.updated) for t in self.tables.values() for r in t.rows), default=0)

    def mutate(self, seed: int) -> Mutation:
        """Update about a tenth of each mutable table (later update time, one field) and add new records."""
        with self._lock:
            self.mutations += 1
            start = self.latest() + 3600
            updated: dict[str, tuple[Any, ...]] = {}
            added: dict[str, tuple[Any, ...]] = {}
            for name, table in self.tables.items():
                if table.spec.touch is not None:
                    rng = rng_for("mutate", self.seed, seed, self.mutations, name)
                    updated[name], added[name] = _mutate_table(table, rng, start)
                    table.invalidate()
            self._children.clear()
            return Mutation(updated=updated, added=added)


def _build_rows(spec: ListSpec, seed: int, count: int) -> list[Row]:
    rng = rng_for(seed, spec.name)
    times = creation_times(rng, count, mean_gap=spec.mean_gap)
    return [spec.make(i, t, rng) for i, t in enumerate(times)]


def _mutate_table(table: Table, rng: random.Random, start: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    spec, rows = table.spec, table.rows
    assert spec.touch is not None
    chosen = sorted(rng.sample(range(len(rows)), max(1, len(rows) // 10))) if rows else []
    key = spec.key
    for j, i in enumerate(chosen):
        when = start + j // 2
        rows[i] = Row(rows[i].created, when, spec.touch(rows[i].record, when, rng))
    first_new = start + len(chosen) // 2 + 1
    new_rows = [spec.make(len(rows) + j, first_new + j, rng) for j in range(max(1, len(rows) // 20))]
    rows.extend(new_rows)
    return tuple(rows[i].record[key] for i in chosen), tuple(r.record[key] for r in new_rows)
