"""The per-resource summary every run prints, and the live progress shown while it works."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.table import Table

from restloom.report import ResourceStats, RunReport


def summary_table(report: RunReport, *, landed: dict[str, int] | None = None, title: str = "restloom") -> Table:
    """A table: resource, rows, pages, requests, retries, seconds, status (and why it failed)."""
    table = Table(title=title, title_justify="left")
    for column in ("resource", "rows", "pages", "requests", "retries", "seconds", "status"):
        table.add_column(column, justify="right" if column not in ("resource", "status") else "left")
    for stats in report.resources.values():
        rows = landed.get(stats.name, stats.rows) if landed else stats.rows
        status = stats.status if not stats.error else f"failed: {stats.error}"
        if stats.warnings and not stats.error:
            status = f"{status} ({len(stats.warnings)} warning{'s' if len(stats.warnings) > 1 else ''})"
        table.add_row(stats.name, str(rows), str(stats.pages), str(stats.requests), str(stats.retries),
                      f"{stats.seconds:.2f}", status)
    return table


def print_summary(console: Console, report: RunReport, *, landed: dict[str, int] | None = None) -> None:
    """Print the summary table, then each warning and notice on its own line."""
    console.print(summary_table(report, landed=landed))
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
            console.print(f"{stats.name}: {outcome}, {stats.rows} rows, {stats.pages} pages, "
                          f"{stats.requests} requests", highlight=False, markup=False)

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
