"""The ``restloom`` command line: thin — parse arguments, call the library, print the summary.

Exit codes: 0 everything loaded; 1 a resource (or the load) failed; 2 the config is invalid; 3 another
process is running the same pipeline (this run did nothing).
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from restloom.adapter.front import compile_config
from restloom.cli.describe import describe_config
from restloom.cli.summary import failed_lines, print_summary, progress
from restloom.config import load_file
from restloom.config.models import Config
from restloom.errors import ConfigError, PipelineBusy

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Declarative REST APIs into a database.")
console = Console()
err_console = Console(stderr=True)


def _load(config_file: Path, *, base_url: str | None = None) -> Config:
    """The config of a file or catalog connector through the front door (run options from the environment)."""
    from restloom.catalog import catalog_names, load_connector

    try:
        if not config_file.exists() and str(config_file) in catalog_names():
            return load_connector(str(config_file), base_url=base_url)
        return compile_config(load_file(config_file)).with_base_url(base_url)
    except ConfigError as exc:
        err_console.print(f"{config_file}: {exc}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2) from exc


def _destination(name: str, pipeline_name: str) -> Any:
    if name == "duckdb":
        import dlt

        return dlt.destinations.duckdb(str(Path.cwd() / f"{pipeline_name}.duckdb"))
    return name


@app.command()
def run(  # noqa: PLR0917 (typer passes options positionally)
    config_file: Annotated[Path, typer.Argument(
        help="YAML, JSON, a Python file defining `source` or `config`, or a catalog connector's name.")],
    destination: Annotated[str, typer.Option(
        help="A dlt destination; duckdb writes <pipeline>.duckdb here.")] = "duckdb",
    dataset_name: Annotated[str | None, typer.Option(help="Dataset (schema) to load into.")] = None,
    pipeline_name: Annotated[str | None, typer.Option(help="dlt pipeline name (default: the file's name).")] = None,
    resources: Annotated[str | None, typer.Option(help="Only these resources, comma-separated.")] = None,
    base_url: Annotated[str | None, typer.Option(help="Override the client's base_url.")] = None,
) -> None:
    """Sync every resource of CONFIG_FILE into the destination and print what landed."""
    config = _load(config_file, base_url=base_url)
    name = pipeline_name or config_file.stem.replace("-", "_")
    _refuse_catalog_clash(destination, name, dataset_name)
    code = _sync(config, pipeline_name=name, destination=_destination(destination, name), dataset_name=dataset_name,
                 resources=[r.strip() for r in resources.split(",")] if resources else None)
    raise typer.Exit(code)


def _refuse_catalog_clash(destination: str, pipeline_name: str, dataset_name: str | None) -> None:
    """DuckDB names a database file's catalog after the file, so a dataset (schema) of the same name makes
    every statement ambiguous: refused before any request, exit 2."""
    if destination == "duckdb" and dataset_name is not None and dataset_name.lower() == pipeline_name.lower():
        err_console.print(f"--dataset-name '{dataset_name}' is the name of the DuckDB file {pipeline_name}.duckdb: "
                          "DuckDB cannot tell the file's catalog from the dataset; choose another dataset name "
                          f"(the default is {pipeline_name}_data) or another --pipeline-name",
                          highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(2)


def _sync(config: Config, **kwargs: Any) -> int:
    from restloom.adapter.sync import sync
    from restloom.http.redact import Redactor
    from restloom.report import RunReport

    report = RunReport()
    try:
        with progress(console, report):
            result = sync(config, report=report, **kwargs)
    except PipelineBusy as exc:
        err_console.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        return 3
    except Exception as exc:
        report.load_failed("the load failed (below)")
        print_summary(console, report)
        _print_failures(report)
        reason = Redactor(secrets=tuple(config.secret_values)).text(str(exc))
        err_console.print(f"[red]load failed[/]: {escape(f'{type(exc).__name__}: {reason}')}", highlight=False)
        return 1
    print_summary(console, result.report, loaded=result.loaded)
    _print_failures(result.report)
    return 0 if result.ok else 1


def _print_failures(report: Any) -> None:
    """Each failed resource's whole reason, once, below the summary (the table says ``failed``)."""
    for line in failed_lines(report):
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def check(
    config_file: Annotated[Path, typer.Argument(help="The config to validate (no network).")],
) -> None:
    """Validate CONFIG_FILE without network and print what restloom inferred."""
    config = _load(config_file)
    console.print(describe_config(config), highlight=False, markup=False, soft_wrap=True)


@app.command()
def demo(
    api: Annotated[str, typer.Argument(help="Which simulated API to sync.")] = "persona",
    size: Annotated[int, typer.Option(help="Records per list resource.")] = 250,
) -> None:
    """Start a simulated API, sync it into ./restloom_demo.duckdb, and print what landed.

    Each API loads into its own dataset (schema) of that file, from scratch every time (a full sync).
    """
    from restloom.cli.demo import demo_config
    from restloom.testing import serve

    with serve(api, size=size, seed=1) as simulated:
        console.print(f"simulated {api} API at {simulated.base_url}")
        config = demo_config(api, simulated)
        code = _sync(config, pipeline_name=f"restloom_demo_{api}", dataset_name=api, refresh="drop_sources",
                     destination=_destination("duckdb", "restloom_demo"))
    console.print(f"loaded into {Path.cwd() / 'restloom_demo.duckdb'} (dataset '{api}')")
    raise typer.Exit(code)


state_app = typer.Typer(no_args_is_help=True, help="Show or reset the incremental state of a config's pipeline.")


def _attach(config_file: Path, pipeline_name: str | None, destination: str) -> tuple[Config, Any]:
    import dlt

    config = _load(config_file)
    name = pipeline_name or config_file.stem.replace("-", "_")
    return config, dlt.pipeline(pipeline_name=name, destination=_destination(destination, name))


@state_app.command("show")
def state_show(
    config_file: Annotated[Path, typer.Argument(help="The config whose pipeline state to show.")],
    pipeline_name: Annotated[str | None, typer.Option(help="dlt pipeline name (default: the file's name).")] = None,
    destination: Annotated[str, typer.Option(help="The destination the pipeline loads into.")] = "duckdb",
) -> None:
    """Print each resource's stored cursor."""
    from restloom.adapter.state import describe_states, resource_states

    config, pipeline = _attach(config_file, pipeline_name, destination)
    pipeline.sync_destination()
    states = resource_states(pipeline)
    for line in describe_states(states, [spec.name for spec in config.resources]):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@state_app.command("reset")
def state_reset(
    config_file: Annotated[Path, typer.Argument(help="The config whose pipeline state to reset.")],
    resource: Annotated[list[str] | None, typer.Option(help="Only this resource (repeatable).")] = None,
    pipeline_name: Annotated[str | None, typer.Option(help="dlt pipeline name (default: the file's name).")] = None,
    destination: Annotated[str, typer.Option(help="The destination the pipeline loads into.")] = "duckdb",
) -> None:
    """Forget stored cursors (all, or --resource ones); the next run starts from initial_value. Tables stay."""
    from restloom.adapter.lock import pipeline_lock
    from restloom.adapter.state import reset

    config, pipeline = _attach(config_file, pipeline_name, destination)
    names = [spec.name for spec in config.resources]
    unknown = sorted(set(resource or []) - set(names))
    if unknown:
        err_console.print(f"unknown resource(s): {', '.join(unknown)} (known: {', '.join(names)})", markup=False)
        raise typer.Exit(2)
    try:
        with pipeline_lock(pipeline.pipeline_name, pipeline.pipelines_dir):
            pipeline.sync_destination()
            done = reset(pipeline, list(resource or names))
    except PipelineBusy as exc:
        err_console.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(3) from exc
    console.print(f"reset: {', '.join(done) if done else 'nothing stored'}", highlight=False, markup=False)


def _register_subcommands() -> None:
    from restloom.cli.connectors import connectors_app
    from restloom.testing.cli import mock_app

    app.add_typer(mock_app, name="mock", help="Run the simulated APIs.")
    app.add_typer(state_app, name="state")
    app.add_typer(connectors_app, name="connectors", help="List and show the catalog connectors.")


def main() -> None:
    """Entry point of the ``restloom`` script.

    dlt's own logging is set to errors only and its telemetry off, unless the environment says otherwise
    (``RUNTIME__LOG_LEVEL``, ``RUNTIME__DLTHUB_TELEMETRY``): the summary says what a run did. A resource's
    failure is not logged as well (it is below the summary) unless ``RESTLOOM_LOG_LEVEL`` is set. Every
    command runs with restloom's dlt defaults (``restloom.dlt_defaults``), which the user's dlt config overrides.

    When the command is done the heap is frozen (``gc.freeze``): the process is about to end, and the
    interpreter's last collections would otherwise walk every object dlt, pyarrow and DuckDB created, about
    0.4 s of every run, with nothing left to free that the operating system does not free anyway.
    """
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    logging.basicConfig(level=os.environ.get("RESTLOOM_LOG_LEVEL", "WARNING"), format="%(levelname)s %(message)s")
    if "RESTLOOM_LOG_LEVEL" not in os.environ:  # a failure is said once, below the summary, not also logged
        for handler in logging.getLogger().handlers:
            handler.addFilter(lambda record: not getattr(record, "restloom_in_report", False))
    _register_subcommands()
    from restloom.adapter.defaults import dlt_defaults

    try:
        with dlt_defaults():  # below the user's dlt config: bounded memory at volume (adapter/defaults.py)
            app()
    finally:
        gc.freeze()
