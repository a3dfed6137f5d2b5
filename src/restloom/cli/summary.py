"""The per-resource summary every run prints, and the live progress shown while it works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table

from restloom.report import ResourceStats, RunReport


def summary_table(report: RunReport, *, loaded: dict[str, int] | None = None, title: str = "restloom") -> Table:
    """A table: resource, rows fetched (and loaded, once known), pages, requests, retries, seconds, status.

    ``fetched`` counts the rows handed to dlt, ``loaded`` the rows this run loaded into the resource's table
    (fewer when dlt's incremental dropped rows it had seen). A failure's reason is printed below the table
    (``failed_lines``), never in it: the cell says ``failed``. ``requests`` counts the requests the resource
    sent; pages it took from an identical request another resource sent show as ``+N shared`` beside them.
    """
    table = Table(title=title, title_justify="left")
    columns = ("resource", "fetched", *(("loaded",) if loaded is not None else ()), "pages", "requests",
               "retries", "seconds", "status")
    for column in columns:
        table.add_column(column, justify="right" if column not in ("resource", "status") else "left")
    for stats in report.resources.values():
        status = stats.status if not stats.error else "failed"
        if stats.warnings and not stats.error:
            status = f"{status} ({len(stats.warnings)} warning{'s' if len(stats.warnings) > 1 else ''})"
        rows = [str(stats.rows), *((str(loaded.get(stats.name, 0)),) if loaded is not None else ())]
        table.add_row(stats.name, *rows, str(stats.pages), requests_cell(stats), str(stats.retries),
                      f"{stats.seconds:.2f}", status)
    return table


SHARED_NOTE = ("resources that make the same request share it: it is sent once and counted in the requests of "
               "the resource that sent it; '+N shared' are the pages another resource's requests served")


def requests_cell(stats: ResourceStats) -> str:
    """The requests ``stats`` sent, and the pages other resources' identical requests served it: ``0 (+3 shared)``."""
    return f"{stats.requests} (+{stats.shared} shared)" if stats.shared else str(stats.requests)


def _shared_pages(stats: ResourceStats) -> str:
    return f" (+{stats.shared} pages shared)" if stats.shared else ""


def failed_lines(report: RunReport) -> list[str]:
    """One line per failed resource with the whole reason (the only place it is printed)."""
    return [f"failed {stats.name}: {stats.error or 'failed'}" for stats in report.failed]


def print_summary(console: Console, report: RunReport, *, loaded: dict[str, int] | None = None) -> None:
    """Print the summary table, then each warning and notice on its own line."""
    console.print(summary_table(report, loaded=loaded))
    if any(stats.shared for stats in report.resources.values()):
        console.print(f"[cyan]note[/] {SHARED_NOTE}", highlight=False)
    for stats in report.resources.values():
        if stats.windows:
            plural = "s" if stats.windows > 1 else ""
            console.print(f"{stats.name}: {stats.windows} window{plural}, {stats.windows_from} .. {stats.windows_to}",
                          highlight=False, markup=False)
    for stats in report.resources.values():
        for warning in stats.warnings:
            console.print(f"[yellow]warning[/] {stats.name}: {warning}")
    for notice in report.notices:
        console.print(f"[cyan]notice[/] {notice}")


@contextmanager
def progress(console: Console, report: RunReport) -> Iterator[None]:
    """Show the live per-resource counters while the body runs; off a terminal, a line per finished resource."""
    if not console.is_terminal:

        def line(stats: ResourceStats) -> None:
            outcome = "failed" if stats.error else "done"
            console.print(f"{stats.name}: {outcome}, {stats.rows} rows fetched, {stats.pages} pages, "
                          f"{stats.requests} requests{_shared_pages(stats)}", highlight=False, markup=False)

        report.listeners.append(line)
        try:
            yield
        finally:
            report.listeners.remove(line)
        return
    stop = threading.Event()
    with Live(summary_table(report, title="restloom (running)"), console=console, refresh_per_second=4,
              transient=True) as live:

        def refresh() -> None:
            while not stop.wait(0.25):
                live.update(summary_table(report, title="restloom (running)"))

        thread = threading.Thread(target=refresh, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
