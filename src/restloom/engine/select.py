"""Data selectors: which part of a response page holds the records.

Why: dlt's ``data_selector`` is a JSONPath evaluated with ``jsonpath-ng``; the seed configs also
write plain dotted paths that cross lists (``ivrs.menus.*`` = the menus of every IVR), which JSONPath
answers with nothing. A ``Selector`` keeps dlt's reading wherever dlt finds something and only
extends it where dlt finds nothing.

Reading a selector:

- ``[]``, ``""`` and ``"$"`` select the root. ``None`` (no selector written) detects the records
  the way dlt does (``find_response_page_data``: the root when it is not an object, else the best
  list under a key like ``data``/``items``/``results``), on every page.
- A plain dotted path (``data``, ``meta.items``, ``$.a.b``, ``addresses.*``, ``a[*]``) is walked step
  by step with JSONPath's meaning: a key step reads a key of an object, a ``*`` / ``[*]`` step takes
  the items of a list or the values of an object. If that finds nothing, it is walked again with
  projection: a key step that lands on a LIST reads that key in each item (items without it are
  skipped); when the last step projected, list values are flattened. So ``ivrs.menus.*`` and
  ``ivrs.menus`` on ``{"ivrs": [{"menus": [m1, m2]}, {"menus": [m3]}]}`` both give ``[m1, m2, m3]``.
- Anything else (filters ``[?(...)]``, ``..``, indexes ``[0]``, unions) is evaluated by dlt's
  ``dlt.common.jsonpath.find_values``, compiled once by ``restloom.config.selectors``.

Normalisation of what was found, exactly as dlt's ``RESTClient.extract_response``: if exactly one
value was found, take it; a list is the page's records; ``None`` is no records; any other value (an
object) is one record. So a root JSON array is its records, a root object selected with ``$`` is one
record, and ``agents_overview`` on ``{"agents_overview": {...}}`` is one record. ``matched`` is
False only when the selector found nothing at all (a key present with ``null`` or ``[]`` matched).

The common case, one key landing on a list (``data``), is a dict lookup that returns the page's own
list: no per-record work and no copy.

Projected records can carry fields of the list items they were projected out of:
``select(document, carry=("id",))`` with ``ivrs.menus.routes.*`` gives every route ``_ivrs_id`` and
``_menus_id`` (``_<key of the list>_<field>``), the way dlt names a child's parent fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlt.common.jsonpath import find_values
from dlt.sources.helpers.rest_client.detector import find_response_page_data

from restloom.config.selectors import Selector, Step, compile_selector

__all__ = ["Selection", "detect_selector", "select"]

_MISSING = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """The records of one page, and whether the selector found anything at all."""

    records: list[Any]
    matched: bool


def select(selector: Selector, document: Any, *, carry: tuple[str, ...] = ()) -> Selection:
    """The records ``document`` (a parsed JSON page) holds under ``selector``.

    ``carry`` names fields of the list items a projection crosses, copied into each record.
    """
    steps = selector.steps
    if carry and selector.projects:
        found = _walk(document, steps or (), project=False)
        if not found:
            return _normalise(_walk_carrying(document, steps or (), carry))
    if steps is None:
        if selector.jsonpath is None:
            return _normalise([find_response_page_data(document)[1]])
        return _normalise(find_values(selector.jsonpath, document))
    if len(steps) == 1 and isinstance(document, dict) and steps[0] is not None:
        value = document.get(steps[0], _MISSING)
        if value is _MISSING:
            return Selection(records=[], matched=False)
        return _normalise([value])
    found = _walk(document, steps, project=False)
    if not found and any(step is not None for step in steps):
        found = _walk(document, steps, project=True)
    return _normalise(found)


def detect_selector(document: Any) -> Selector:
    """The selector dlt's detection picks for ``document`` (used when a config names none)."""
    path, _ = find_response_page_data(document)
    return compile_selector(".".join(path) or "$", path="")


def _walk(document: Any, steps: tuple[Step, ...], *, project: bool) -> list[Any]:
    """Every value the steps reach; with ``project``, key steps also read through lists."""
    matches = [document]
    projected = False
    for step in steps:
        found: list[Any] = []
        projected = False
        for match in matches:
            if step is None:
                if isinstance(match, dict):
                    found.extend(match.values())
                elif isinstance(match, list):
                    found.extend(match)
            elif isinstance(match, dict):
                if step in match:
                    found.append(match[step])
            elif project and isinstance(match, list):
                projected = True
                found.extend(item[step] for item in match if isinstance(item, dict) and step in item)
        matches = found
    if projected:
        return _flatten(matches)
    return matches


def _walk_carrying(document: Any, steps: tuple[Step, ...], carry: tuple[str, ...]) -> list[Any]:
    """Projection as in ``_walk``, each value carrying ``carry`` fields of the list items it came from."""
    matches: list[tuple[Any, dict[str, Any], str | None]] = [(document, {}, None)]
    for step in steps:
        found: list[tuple[Any, dict[str, Any], str | None]] = []
        for value, carried, key in matches:
            if step is None:
                items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
                found.extend((item, carried, key) for item in items)
            elif isinstance(value, dict):
                if step in value:
                    found.append((value[step], carried, step))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict) and step in item:
                        fields = {f"_{key}_{name}": item[name] for name in carry if name in item}
                        found.append((item[step], {**carried, **fields}, step))
        matches = found
    records: list[Any] = []
    for value, carried, _ in matches:
        for record in value if isinstance(value, list) else [value]:
            records.append({**record, **carried} if isinstance(record, dict) and carried else record)
    return records


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def _normalise(found: list[Any]) -> Selection:
    """dlt's rule: one value found is taken as is; a list is records; None none; else one record."""
    data: Any = found[0] if len(found) == 1 else found
    if data is None:
        return Selection(records=[], matched=True)
    if isinstance(data, list):
        return Selection(records=data, matched=bool(found))
    return Selection(records=[data], matched=True)

