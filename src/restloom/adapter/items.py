"""How the pages of a stream become dlt items: as rows, or gathered into chunks of pages that become Arrow
tables (``adapter/columnar.py``), either in the resource's generator or, for a resource dlt's incremental
filters, in a step after it (``ArrowAfterIncremental``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import dlt
from dlt.common.exceptions import ResourceNameNotAvailable
from dlt.extract.incremental import IncrementalResourceWrapper
from dlt.extract.items import DataItemWithMeta
from dlt.extract.items_transform import ItemTransform, LimitItem
from dlt.extract.pipe import ForkPipe

from restloom.adapter.columnar import Columnar, NotColumnar, chunk_rows
from restloom.adapter.perparent import ParentCursors
from restloom.engine.run import Batch, Stream
from restloom.report import RunReport


def dlt_items(stream: Stream, columnar: Columnar | None = None, report: RunReport | None = None,
               cursors: ParentCursors | None = None, *, after_incremental: bool = False,
               per_page: bool = False) -> Iterator[Any]:
    """The stream's pages as dlt items: as Arrow tables with ``columnar``, else as rows. With ``cursors`` (a
    child's cursor per parent), each parent's rows are kept to its window first. ``after_incremental``: the
    pages go on as rows, a chunk at a time, and become Arrow tables in ``ArrowAfterIncremental``, the step
    after dlt's incremental; ``per_page``: a chunk is one page (dlt closes a ``row_order`` resource between
    two pages, as on the row path)."""
    try:
        batches = stream if cursors is None else _kept(stream, cursors)
        if columnar is None:
            yield from _row_items(batches)
            return
        limit = 1 if per_page else chunk_rows()
        first = 1
        for chunk in _chunks(batches, limit, stream.ready):
            if chunk is None:
                yield None  # dlt's "nothing now": it goes on to the other resources while the page is fetched
                continue
            meta = _Chunk(first, sum(len(b.rows) for b in chunk), tuple(b.text for b in chunk),
                          chunk[0].primary_key)
            first += len(chunk)
            rows = [row for b in chunk for row in b.rows]
            if after_incremental:
                yield DataItemWithMeta(meta, rows)
            else:
                yield from _arrow_items(rows, meta, columnar, report)
    finally:
        stream.close()  # dlt closing the generator early also stops the engine's threads for it


def limited_by_dlt() -> bool:
    """Whether the resource dlt runs now has dlt's ``add_limit`` (a ``LimitItem`` step in its pipe).

    dlt's limit counts the items a resource yields and closes it at the limit. dlt's rest_api yields a page
    an item, so ``add_limit(2)`` reads two pages. A limited resource here goes as rows, a page an item (a
    columnar chunk is several pages, and several items: its root table and each nested table, so the limit
    would cut a chunk's nested tables off), and requests each page only when dlt asks for it (no page is
    requested ahead that dlt would never take). Called inside the resource's generator, where dlt has set
    the current pipe; elsewhere (a resource iterated by hand) there is no limit to see."""
    return any(isinstance(step, LimitItem) for step in _running_steps())


def steps_added_in_dlt(*, incremental: bool) -> str | None:
    """Why the resource dlt runs now goes as rows because of steps added to it in dlt, or None.

    A step added to a built resource (``add_map``, ``add_filter``, ``add_yield_map``, ``add_step``, a
    Pydantic model as its columns, a transformer fed from it) sits in the resource's pipe after its
    generator and gets what the generator yields: on dlt's rest_api a page of records. Arrow tables would
    fail it, or pass it unchanged (a map on records that an incremental resource hands on as records before
    ``ArrowAfterIncremental`` would change them, and the chunk's kept JSON text would then be read
    without the change). So any step but those the columnar path expects sends the resource as rows; the
    expected ones are ``ArrowAfterIncremental`` and dlt's incremental of a resource whose config declares
    one (``incremental``: the records reach it before they become tables). ``add_limit`` is
    ``limited_by_dlt``'s. Called inside the resource's generator, like that one."""
    expected: tuple[type, ...] = (ArrowAfterIncremental, LimitItem)
    if incremental:
        expected += (IncrementalResourceWrapper,)
    added = [_step_name(step) for step in _running_steps()[1:] if not isinstance(step, expected)]
    if not added:
        return None
    return f"steps added to it in dlt, which take records: {', '.join(added)}"


def _running_steps() -> list[Any]:
    """The steps of the pipe dlt runs now, its generator first; none outside dlt's extraction."""
    try:
        pipe = dlt.current.pipe()
    except ResourceNameNotAvailable:
        return []
    return list(getattr(pipe, "steps", ()))


def _step_name(step: Any) -> str:
    return "a transformer fed from it" if isinstance(step, ForkPipe) else type(step).__name__


def _row_items(batches: Iterable[Batch]) -> Iterator[Any]:
    """Pages as rows; a batch whose merge key the engine chose carries it as a hint."""
    hinted: tuple[str, ...] | None = None
    for batch in batches:
        if batch.primary_key is not None and batch.primary_key != hinted:
            hinted = batch.primary_key
            yield dlt.mark.with_hints(batch.rows, dlt.mark.make_hints(primary_key=list(hinted)))
        else:
            yield batch.rows


def _kept(batches: Iterable[Batch], cursors: ParentCursors) -> Iterator[Batch]:
    """The batches with each parent's rows kept to its window (the JSON text only where none was dropped)."""
    for batch in batches:
        rows = cursors.take(batch.parent, batch.rows)
        if rows:
            yield replace(batch, rows=rows, text=batch.text if len(rows) == len(batch.rows) else None)


READY_WAIT = 0.005  # seconds a columnar resource waits for its next page before it lets dlt go on


def _chunks(batches: Iterator[Batch], limit: int, ready: Callable[..., bool]) -> Iterator[list[Batch] | None]:
    """Pages gathered into chunks of up to ``limit`` records (pages whole; one primary key a chunk: dlt's
    extractor and the vectorised lane do a fixed amount of work per table, so fewer, larger tables cost
    less), or None while the stream's next page is not fetched yet (``ready``, ``Stream.ready``)."""
    chunk: list[Batch] = []
    held = 0
    while True:
        batch, ended = None, False
        if held < limit:
            if not ready(wait=READY_WAIT):
                yield None
                continue
            batch = next(batches, None)
            ended = batch is None  # an exhausted stream is not asked again: it would reset its outcome
        if chunk and (batch is None or batch.primary_key != chunk[0].primary_key):
            yield chunk
            chunk, held = [], 0
        if ended:
            return
        if batch is not None:
            chunk.append(batch)
            held += len(batch.rows)


@dataclass(frozen=True, slots=True)
class _Chunk:
    """What goes with a chunk of records on its way to Arrow: the number of its first page in the stream,
    how many records the engine gave (dlt's incremental may drop some before ``ArrowAfterIncremental``),
    each page's JSON text and the chunk's primary key."""

    first_page: int
    count: int
    texts: tuple[bytes | None, ...]
    primary_key: tuple[str, ...] | None


def _arrow_items(rows: list[Any], meta: _Chunk, columnar: Columnar, report: RunReport | None) -> Iterator[Any]:
    """One chunk as Arrow tables; as rows when it is not columnar, and so is every later chunk (the report
    says from which page and why)."""
    hints = None if meta.primary_key is None else dlt.mark.make_hints(primary_key=list(meta.primary_key))
    if columnar.fallen_back is not None:
        yield rows if hints is None else dlt.mark.with_hints(rows, hints)
        return
    try:
        items = columnar.items(rows, meta.primary_key, meta.texts if len(rows) == meta.count else ())
    except NotColumnar as reason:
        _note_lane(report, columnar)
        if report is not None:
            report.set_path(columnar.resource, f"columnar, rows from page {meta.first_page} ({reason})")
        yield rows if hints is None else dlt.mark.with_hints(rows, hints)
        return
    _note_lane(report, columnar)
    yield from items


class ArrowAfterIncremental(ItemTransform[Any, dict[str, Any]]):
    """The columnar conversion as a step of the resource's pipe, after dlt's incremental.

    Why a step: dlt's incremental filters the items that pass it and keeps the cursor of what it saw. On
    records it compares the JSON values (a stored ``last_value`` stays the string or number the service
    sent); on an Arrow table it would compare typed column values and store those. So an incremental
    resource hands dlt its pages as records, dlt's incremental filters them exactly as on the row path, and
    only then do they become Arrow tables, here. ``placement_affinity`` puts the step after dlt's incremental
    (1) and ``add_limit`` (1.1), before a fork to transformers (2)."""

    placement_affinity: ClassVar[float] = 1.5

    def __init__(self, converters: Mapping[str, Columnar], report: RunReport, name: str) -> None:
        super().__init__(self._convert)
        self._converters = converters
        self._report = report
        self._name = name

    def _convert(self, item: Any, meta: Any) -> Iterator[Any]:
        columnar = self._converters.get(self._name)
        if not isinstance(meta, _Chunk) or columnar is None:
            yield item if meta is None else DataItemWithMeta(meta, item)
            return
        for converted in _arrow_items(item, meta, columnar, self._report):
            yield converted if isinstance(converted, DataItemWithMeta) else DataItemWithMeta(None, converted)

    def __call__(self, item: Any, meta: Any = None) -> Any:
        return self._convert(item, meta)


def _note_lane(report: RunReport | None, columnar: Columnar) -> None:
    if report is not None and columnar.record_by_record:
        report.note_record_by_record(columnar.resource, columnar.record_by_record)


__all__ = ["READY_WAIT", "ArrowAfterIncremental", "dlt_items", "limited_by_dlt", "steps_added_in_dlt"]
