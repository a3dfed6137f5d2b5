"""Plans in, dlt resources out — where dlt's extract API is used, with ``adapter/items.py`` (what the
resources yield: rows or Arrow tables) and ``adapter/columnar.py`` (how pages become those tables).

Each top-level resource becomes a ``dlt.resource`` whose generator yields whole pages from the
engine; each child becomes a ``dlt.transformer`` over its parent, fanning out per parent page.
dlt does the rest: schema, normalisation, state, merge and loading.

When a resource's stream ends failed, its generator holds the cursors of the resource and of its
parent chain (``CursorLedger``) and then, with ``on_failure="raise"`` (the default), raises the
``ResourceError``: dlt fails the extract step, ``pipeline.run`` raises ``PipelineStepFailed`` and no
state is committed — dlt's own behaviour. With ``on_failure="continue"`` the generator ends quietly, the
other resources load, and the caller reads the failures from ``report_of(source)`` (``restloom run``
does, and exits 1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import dlt
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from restloom.adapter.columnar import Columnar, describe_path, row_path_reason
from restloom.adapter.front import DLT_SECTION, RunOptions, compile_config
from restloom.adapter.items import ArrowAfterIncremental, dlt_items, limited_by_dlt, steps_added_in_dlt
from restloom.adapter.perparent import ParentCursors
from restloom.adapter.steps import PROGRESS_KEY, close_window, narrow, next_window
from restloom.adapter.windows import (
    CursorLedger,
    dlt_incremental,
    window_params,
    window_placeholders,
)
from restloom.config.auth import DEFAULT_SECTIONS
from restloom.config.files import SOURCE_CONFIG_ATTRIBUTE
from restloom.config.models import Config, IncrementalSpec, ResourceSpec
from restloom.config.secrets import resolve
from restloom.engine.run import Run, Stream, Window
from restloom.errors import ConfigError, ConfigIssue, ResourceError
from restloom.report import RunReport

DEFAULT_FILE_FORMAT = "parquet"
LIMITED = "dlt's add_limit: it counts the items a resource yields, and the rows of a page are one item"
REPORT_ATTRIBUTE = "_restloom_report"
OnFailure = Literal["raise", "continue"]
ON_FAILURE: tuple[OnFailure, ...] = ("raise", "continue")
log = logging.getLogger("restloom")


def rest_api_source(  # noqa: PLR0917 (dlt's positional call shape)
    config: Mapping[str, Any],
    name: str | None = None,
    section: str | None = None,
    max_table_nesting: int | None = None,
    root_key: bool | None = None,
    schema: Any = None,
    schema_contract: Any = None,
    parallelized: bool = False,
    *,
    concurrency: int | None = None,
    retry_wait_scale: float | None = None,
    on_failure: OnFailure = "raise",
) -> DltSource:
    """A dlt source for a REST API config — dlt's ``rest_api_source`` call shape, restloom's engine.

    ``concurrency`` bounds requests in flight (default 8, or ``RESTLOOM_CONCURRENCY``);
    ``retry_wait_scale`` multiplies every retry wait (``RESTLOOM_RETRY_WAIT_SCALE``; 0 makes them instant).
    ``on_failure``: ``"raise"`` (default) fails the extract when a resource fails, so ``pipeline.run``
    raises as dlt's does; ``"continue"`` loads the other resources and leaves the failures to the caller
    (``report_of(source).raise_for_failures()``).
    """
    if on_failure not in ON_FAILURE:
        raise ConfigError([ConfigIssue("on_failure", f"expected 'raise' or 'continue', got {on_failure!r}")])
    section = section or DLT_SECTION
    options = RunOptions.from_env(concurrency=concurrency, retry_wait_scale=retry_wait_scale)
    parsed = compile_config(config, options=options, sections=("sources", section, name or "rest_api"))
    source = build_source(parsed, name=name, section=section, max_table_nesting=max_table_nesting,
                          root_key=root_key, schema=schema, schema_contract=schema_contract,
                          parallelized=parallelized, on_failure=on_failure)
    setattr(source, SOURCE_CONFIG_ATTRIBUTE, config)  # a Python config file is read back through it
    return source


def build_source(config: Config, *, name: str | None = None, report: RunReport | None = None,
                 run: Run | None = None, file_format: str = DEFAULT_FILE_FORMAT,
                 sections: tuple[str, ...] = DEFAULT_SECTIONS, on_failure: OnFailure = "raise",
                 now: datetime | None = None, **source_kwargs: Any) -> DltSource:
    """The dlt source of a parsed config; its run statistics go to ``report`` (see ``report_of``).

    A config not yet resolved is resolved first (secrets, auth credentials from dlt's config in
    ``sections``). ``run``: the engine run to draw pages from — a caller that manages its lifecycle
    (``with Run(...)``) passes it; without one, the source's own run opens when extraction starts and
    closes when its last resource ends. ``file_format`` is the loader file format of every table that does
    not choose its own (``preferred`` leaves it to dlt's destination default). ``on_failure``: see
    ``rest_api_source``. ``now``: where stepped windows without ``end_value`` end (default: the moment each
    extraction starts; ``restloom.sync`` takes it once for all its passes).
    """
    if not config.resolved:
        config = resolve(config, sections=sections)
    run = run or Run(config, report=report)
    resources = build_resources(config, run, file_format=file_format, on_failure=on_failure, now=now,
                                source_schema=source_kwargs.get("schema"),
                                source_contract=source_kwargs.get("schema_contract"))

    def rest_api() -> list[DltResource]:
        return resources

    kwargs = {k: v for k, v in source_kwargs.items() if v is not None and k != "parallelized"}
    source = dlt.source(rest_api, name=name or "rest_api", **kwargs)()
    setattr(source, REPORT_ATTRIBUTE, run.report)
    return source


def report_of(source: DltSource) -> RunReport:
    """The run statistics of a source built by restloom (the object ``rest_api_source`` returned)."""
    report = getattr(source, REPORT_ATTRIBUTE, None)
    if not isinstance(report, RunReport):
        raise TypeError("not a source built by restloom.rest_api_source (or a copy dlt made of one)")
    return report


def build_resources(config: Config, run: Run, *, file_format: str = DEFAULT_FILE_FORMAT,
                    on_failure: OnFailure = "raise", now: datetime | None = None, source_schema: Any = None,
                    source_contract: Any = None) -> list[DltResource]:
    """One dlt resource per config resource (parents before children), then the config's dlt resources
    (a child of one is a transformer over it, its items the parent records)."""
    built: dict[str, DltResource] = {resource.name: resource for resource in config.dlt_resources}
    paths = resource_paths(config, file_format=file_format, source_schema=source_schema,
                           source_contract=source_contract)
    ends = _Ends(cursors=CursorLedger({spec.name: spec.parent for spec in config.resources},
                                      on_hold=lambda parent, child: _held_back(run.report, parent, child)),
                 on_failure=on_failure,
                 keyed_replace=frozenset(spec.name for spec in config.resources if _keyed_replace(spec)),
                 row_reasons=paths, report=run.report)
    for spec in _parents_first(config.resources, built=set(built)):
        hints = _hints(spec, file_format)
        if spec.parent:
            resource = _child(spec, run, built[spec.parent], hints, ends)
        elif spec.endpoint.incremental is not None and spec.endpoint.incremental.step is not None:
            resource = _stepped(spec, run, hints, ends, now)
        else:
            resource = _top_level(spec, run, hints, ends)
        for step in spec.processing_steps:
            _apply_step(resource, step)
        if paths[spec.name] is None and _filtered_by_dlt(spec):
            resource.add_step(ArrowAfterIncremental(ends.converters, ends.report, spec.name))
        built[spec.name] = resource
    return [built[spec.name] for spec in config.resources] + list(config.dlt_resources)


def resource_paths(config: Config, *, file_format: str = DEFAULT_FILE_FORMAT, source_schema: Any = None,
                   source_contract: Any = None) -> dict[str, str | None]:
    """Per resource, why its pages go to dlt as rows (None: they go as Arrow tables, ``columnar``).

    A resource that is the parent of another goes as rows: its child is a dlt transformer over the items
    it yields, and reads records, not tables."""
    children: dict[str, list[str]] = {}
    for spec in config.resources:
        if spec.parent:
            children.setdefault(spec.parent, []).append(spec.name)
    paths: dict[str, str | None] = {}
    for spec in config.resources:
        reason = row_path_reason(spec, file_format=file_format, source_schema=source_schema,
                                 source_contract=source_contract)
        if reason is None and spec.name in children:
            reason = f"parent of {', '.join(children[spec.name])}"
        paths[spec.name] = reason
    return paths


def describe_paths(config: Config) -> dict[str, str]:
    """``columnar`` or ``rows (<reason>)`` per resource, as ``restloom check`` prints it."""
    return {name: describe_path(reason) for name, reason in resource_paths(config).items()}


def _parents_first(specs: tuple[ResourceSpec, ...], *, built: set[str]) -> list[ResourceSpec]:
    """``specs`` ordered so that each comes after its parent (``built``: the dlt resources, parents already)."""
    ordered: list[ResourceSpec] = []
    names = set(built)
    remaining = list(specs)
    while remaining:
        ready = [s for s in remaining if s.parent is None or s.parent in names]
        ordered.extend(ready)
        names.update(s.name for s in ready)
        remaining = [s for s in remaining if s.name not in names]
    return ordered


def _hints(spec: ResourceSpec, file_format: str) -> dict[str, Any]:
    hints = dict(spec.hints)
    if file_format != "preferred":
        hints.setdefault("file_format", file_format)
    return hints


def _held_back(report: RunReport, parent: str, child: str) -> None:
    message = (f"cursor kept at its value from before this run: child resource '{child}' failed, so the next "
               "run reads these records again, with their children")
    report.warn(parent, message)
    log.warning("resource '%s': %s", parent, message)


@dataclass(frozen=True, slots=True)
class _Ends:
    """How the generator of a resource ends: cursors held on failure, a replace kept from truncating its
    table, then the failure raised or not."""

    cursors: CursorLedger
    on_failure: OnFailure
    keyed_replace: frozenset[str]
    row_reasons: Mapping[str, str | None]
    report: RunReport
    converters: dict[str, Columnar] = field(default_factory=dict)

    def columnar(self, name: str, *, limited: bool = False, added: str | None = None) -> Columnar | None:
        """The columnar converter of one extraction of ``name``, or None when it goes as rows (``limited``:
        dlt's ``add_limit`` is on it, ``limited_by_dlt``; ``added``: why steps added to it in dlt take
        records, ``steps_added_in_dlt``)."""
        reason = LIMITED if limited else (self.row_reasons.get(name) or added)
        if reason is not None:
            self.report.set_path(name, describe_path(reason))
            return None
        columnar = self.converters.setdefault(name, Columnar(name))
        if columnar.fallen_back is not None:
            return None  # rows for the rest of the run, as the report says
        if not self.report.stats(name).path:
            self.report.set_path(name, "columnar")
        return columnar

    def finish(self, name: str, stream: Stream) -> None:
        outcome = stream.outcome
        failed = outcome is None or outcome.failed
        if failed:
            self.cursors.hold(name)
            if name in self.keyed_replace:
                _merge_instead_of_replace(name)
        self.cursors.settle(name)
        if failed and self.on_failure == "raise":
            reason = (outcome.reason if outcome else None) or "its stream stopped before the end"
            raise ResourceError(name, reason)


def _merge_instead_of_replace(name: str) -> None:
    """A keyed ``replace`` resource whose stream failed merges what it read in this run (on its primary
    key), so its table is neither truncated nor cut down to a partial read; the next run that reads it in
    full replaces the table again."""
    source = dlt.current.source()  # the source being extracted holds its own copies of the resources
    resource = source.resources[name]
    resource.apply_hints(write_disposition="merge")
    schema = source.schema
    table = schema.tables.get(schema.naming.normalize_table_identifier(resource.table_name))  # type: ignore[arg-type]
    if table is not None and table.get("write_disposition") == "replace":
        table["write_disposition"] = "merge"


def _keyed_replace(spec: ResourceSpec) -> bool:
    disposition = spec.hints.get("write_disposition")
    if isinstance(disposition, Mapping):
        disposition = disposition.get("disposition")
    return disposition == "replace" and bool(spec.primary_key)


def _filtered_by_dlt(spec: ResourceSpec) -> bool:
    """True when dlt's incremental filters the records of a top-level resource (a child's shared cursor goes
    as rows, ``row_path_reason``; a per-parent cursor is restloom's own)."""
    return spec.endpoint.incremental is not None and not spec.parent


def _filtered_items(stream: Stream, spec: ResourceSpec, ends: _Ends, *, limited: bool) -> Iterator[Any]:
    """The items of a resource dlt's incremental filters: columnar ones as records, a chunk at a time, for
    ``ArrowAfterIncremental``; a page a chunk with ``row_order`` (dlt closes the resource between pages)."""
    columnar = ends.columnar(spec.name, limited=limited, added=steps_added_in_dlt(incremental=True))
    yield from dlt_items(stream, columnar, ends.report, after_incremental=True, per_page=spec.endpoint.row_ordered)


def _window(spec: IncrementalSpec, cursor: Any) -> Window:
    return Window(params=window_params(spec, cursor), placeholders=window_placeholders(spec, cursor))


def _top_level(spec: ResourceSpec, run: Run, hints: dict[str, Any], ends: _Ends) -> DltResource:
    incremental = spec.endpoint.incremental

    if incremental is None:
        def pages() -> Iterator[Any]:
            ends.cursors.start(spec.name)
            limited, added = limited_by_dlt(), steps_added_in_dlt(incremental=False)
            stream = run.pages(spec, on_demand=limited)
            yield from dlt_items(stream, ends.columnar(spec.name, limited=limited, added=added), ends.report)
            ends.finish(spec.name, stream)
        return dlt.resource(pages, name=spec.name, selected=spec.selected, **hints)

    # dlt finds the incremental by the argument's default and binds its state: the call must be there
    def incremental_pages(cursor: Any = dlt_incremental(incremental)) -> Iterator[Any]:  # noqa: B008
        ends.cursors.start(spec.name)
        ends.cursors.track(spec.name, cursor)
        limited = limited_by_dlt()
        stream = run.pages(spec, _window(incremental, cursor), on_demand=limited)
        yield from _filtered_items(stream, spec, ends, limited=limited)
        ends.finish(spec.name, stream)

    return dlt.resource(incremental_pages, name=spec.name, selected=spec.selected, **hints)


def _stepped(spec: ResourceSpec, run: Run, hints: dict[str, Any], ends: _Ends,
             now: datetime | None) -> DltResource:
    """A top-level resource with ``incremental.step``: its next window per extraction (see adapter/steps.py)."""
    incremental = spec.endpoint.incremental
    assert incremental is not None

    def stepped_pages(cursor: Any = dlt_incremental(incremental)) -> Iterator[Any]:  # noqa: B008
        ends.cursors.start(spec.name)
        live = dlt.current.resource_state(spec.name)
        ends.cursors.track_state(spec.name, live)
        window = next_window(incremental, live.get(PROGRESS_KEY), now or datetime.now(UTC))
        if window is not None:
            narrow(cursor, window)
        limited = limited_by_dlt()
        stream = run.pages(spec, _window(incremental, cursor), on_demand=limited)

        def loaded(ok: bool) -> None:  # the window's rows are all here: the next extraction starts after it
            if window is not None and ok:
                close_window(incremental, live, window)
                run.report.window(spec.name, start=window.start, end=window.end, left=window.left)

        try:
            yield from _filtered_items(stream, spec, ends, limited=limited)
        except GeneratorExit:  # dlt closes an ordered (row_order) resource once a row passed the window's end
            loaded(bool(cursor.end_out_of_range))
            raise
        loaded(stream.outcome is not None and not stream.outcome.failed)
        ends.finish(spec.name, stream)

    return dlt.resource(stepped_pages, name=spec.name, selected=spec.selected, **hints)


def _child(spec: ResourceSpec, run: Run, parent: DltResource, hints: dict[str, Any], ends: _Ends) -> DltResource:
    incremental = spec.endpoint.incremental
    if incremental is None:
        def children(parent_page: Any) -> Iterator[Any]:
            stream = run.child_pages(spec, _as_page(parent_page))
            yield from dlt_items(stream, _child_columnar(spec, ends), ends.report)
            ends.finish(spec.name, stream)
        return dlt.transformer(children, data_from=parent, name=spec.name, selected=spec.selected, **hints)

    if incremental.per_parent:
        def per_parent_children(parent_page: Any) -> Iterator[Any]:
            cursors = ParentCursors.of_current_resource(spec)
            stream = run.child_pages(spec, _as_page(parent_page), cursors.window)
            yield from dlt_items(stream, _child_columnar(spec, ends), ends.report, cursors)
            ends.finish(spec.name, stream)
        return dlt.transformer(per_parent_children, data_from=parent, name=spec.name, selected=spec.selected,
                               **hints)

    def incremental_children(parent_page: Any, cursor: Any = dlt_incremental(incremental)) -> Iterator[Any]:  # noqa: B008
        ends.cursors.track(spec.name, cursor)
        stream = run.child_pages(spec, _as_page(parent_page), _window(incremental, cursor))
        yield from dlt_items(stream, _child_columnar(spec, ends), ends.report)
        ends.finish(spec.name, stream)

    return dlt.transformer(incremental_children, data_from=parent, name=spec.name, selected=spec.selected,
                           **hints)


def _child_columnar(spec: ResourceSpec, ends: _Ends) -> Columnar | None:
    """A child's converter for one parent page (None: rows); dlt's incremental on a child is never one the
    columnar path expects (a shared cursor goes as rows; a per-parent one is restloom's own)."""
    return ends.columnar(spec.name, added=steps_added_in_dlt(incremental=False))


def _as_page(parent_page: Any) -> list[Any]:
    return parent_page if isinstance(parent_page, list) else [parent_page]


def _apply_step(resource: DltResource, step: Mapping[str, Any]) -> None:
    if "filter" in step:
        resource.add_filter(step["filter"])
    if "map" in step:
        resource.add_map(step["map"])
    if "yield_map" in step:
        resource.add_yield_map(step["yield_map"])
