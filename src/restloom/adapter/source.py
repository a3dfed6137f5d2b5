"""Plans in, dlt resources out — the only module that touches dlt's extract API.

Each top-level resource becomes a ``dlt.resource`` whose generator yields whole pages from the
engine; each child becomes a ``dlt.transformer`` over its parent, fanning out per parent page.
dlt does the rest: schema, normalisation, state, merge and loading.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dlt
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from restloom.config.auth import DEFAULT_SECTIONS
from restloom.config.models import Config, ResourceSpec
from restloom.config.parse import parse
from restloom.config.retry import RetryPolicy
from restloom.config.secrets import resolve
from restloom.engine.run import Run
from restloom.report import RunReport

DEFAULT_FILE_FORMAT = "parquet"
DLT_SECTION = "rest_api"
"""dlt's rest_api source lives in config section ``rest_api``: credentials left out of a config are read
from ``sources.rest_api.<name>`` there, and here too."""
REPORT_ATTRIBUTE = "_restloom_report"


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
) -> DltSource:
    """A dlt source for a REST API config — dlt's ``rest_api_source`` call shape, restloom's engine.

    ``concurrency`` bounds requests in flight (default 8, or ``RESTLOOM_CONCURRENCY``);
    ``retry_wait_scale`` multiplies every retry wait (``RESTLOOM_RETRY_WAIT_SCALE``; 0 makes them instant).
    """
    section = section or DLT_SECTION
    parsed = parse(config, concurrency=concurrency or _env_int("RESTLOOM_CONCURRENCY"),
                   retry_base=RetryPolicy(wait_scale=_wait_scale(retry_wait_scale)))
    return build_source(parsed, name=name, section=section, max_table_nesting=max_table_nesting,
                        root_key=root_key, schema=schema, schema_contract=schema_contract, parallelized=parallelized,
                        sections=("sources", section, name or "rest_api"))


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value else None


def _wait_scale(explicit: float | None) -> float:
    if explicit is not None:
        return explicit
    value = os.environ.get("RESTLOOM_RETRY_WAIT_SCALE")
    return float(value) if value else 1.0


def build_source(config: Config, *, name: str | None = None, report: RunReport | None = None,
                 file_format: str = DEFAULT_FILE_FORMAT, sections: tuple[str, ...] = DEFAULT_SECTIONS,
                 **source_kwargs: Any) -> DltSource:
    """The dlt source of a parsed config; its run statistics go to ``report`` (see ``report_of``).

    A config not yet resolved is resolved first (secrets, auth credentials from dlt's config in
    ``sections``). ``file_format`` is the loader file format of every table that does not choose its
    own (``preferred`` leaves it to dlt's destination default).
    """
    if not config.resolved:
        config = resolve(config, sections=sections)
    run = Run(config, report=report)
    resources = build_resources(config, run, file_format=file_format)

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


def build_resources(config: Config, run: Run, *, file_format: str = DEFAULT_FILE_FORMAT) -> list[DltResource]:
    """One dlt resource per config resource (parents before children), then the config's dlt resources."""
    built: dict[str, DltResource] = {}
    for spec in _parents_first(config.resources):
        hints = _hints(spec, file_format)
        resource = _child(spec, run, built[spec.parent], hints) if spec.parent else _top_level(spec, run, hints)
        for step in spec.processing_steps:
            _apply_step(resource, step)
        built[spec.name] = resource
    return [built[spec.name] for spec in config.resources] + list(config.dlt_resources)


def _parents_first(specs: tuple[ResourceSpec, ...]) -> list[ResourceSpec]:
    ordered: list[ResourceSpec] = []
    names: set[str] = set()
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


def _top_level(spec: ResourceSpec, run: Run, hints: dict[str, Any]) -> DltResource:
    incremental = spec.endpoint.incremental

    if incremental is None:
        def pages() -> Iterator[list[Any]]:
            yield from run.pages(spec)
        return dlt.resource(pages, name=spec.name, selected=spec.selected, **hints)

    from restloom.adapter.windows import CursorCheckpoint, dlt_incremental, window_params, window_placeholders

    # dlt finds the incremental by the argument's default and binds its state: the call must be there
    def incremental_pages(cursor: Any = dlt_incremental(incremental)) -> Iterator[list[Any]]:  # noqa: B008
        checkpoint = CursorCheckpoint(cursor)
        yield from run.pages(spec, extra_params=window_params(incremental, cursor),
                             placeholders=window_placeholders(incremental, cursor))
        if run.report.stats(spec.name).status == "failed":
            checkpoint.restore()

    return dlt.resource(incremental_pages, name=spec.name, selected=spec.selected, **hints)


def _child(spec: ResourceSpec, run: Run, parent: DltResource, hints: dict[str, Any]) -> DltResource:
    hinted: set[str] = set()

    def hinted_rows(parent_page: Any, window: Mapping[str, Any]) -> Iterator[Any]:
        page = parent_page if isinstance(parent_page, list) else [parent_page]
        for rows in run.child_pages(spec, page, **window):
            override = run.key_overrides.get(spec.name)
            if override is not None and spec.name not in hinted:
                hinted.add(spec.name)
                yield dlt.mark.with_hints(rows, dlt.mark.make_hints(primary_key=list(override)))
            else:
                yield rows

    incremental = spec.endpoint.incremental
    if incremental is None:
        def children(parent_page: Any) -> Iterator[Any]:
            yield from hinted_rows(parent_page, {})
        return dlt.transformer(children, data_from=parent, name=spec.name, selected=spec.selected, **hints)

    from restloom.adapter.windows import CursorCheckpoint, dlt_incremental, window_params, window_placeholders

    def incremental_children(parent_page: Any, cursor: Any = dlt_incremental(incremental)) -> Iterator[Any]:  # noqa: B008
        checkpoint = CursorCheckpoint(cursor)
        window = {"extra_params": window_params(incremental, cursor),
                  "placeholders": window_placeholders(incremental, cursor)}
        yield from hinted_rows(parent_page, window)
        if run.report.stats(spec.name).status == "failed":
            checkpoint.restore()

    return dlt.transformer(incremental_children, data_from=parent, name=spec.name, selected=spec.selected,
                           **hints)


def _apply_step(resource: DltResource, step: Mapping[str, Any]) -> None:
    if "filter" in step:
        resource.add_filter(step["filter"])
    if "map" in step:
        resource.add_map(step["map"])
    if "yield_map" in step:
        resource.add_yield_map(step["yield_map"])
