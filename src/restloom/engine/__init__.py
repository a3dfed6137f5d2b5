"""The engine: runs parsed resources — the page loop, paginators, selection, parent/child fan-out,
concurrency and failure containment — and hands typed streams of pages to the adapter.

It imports ``config``'s models (never its parser), ``http`` and the shared modules; it knows nothing of
dlt's extract API (``restloom.adapter.source`` turns its streams into dlt resources).
"""

from restloom.engine.run import Run
from restloom.report import ResourceStats, RunReport

__all__ = ["ResourceStats", "Run", "RunReport"]
