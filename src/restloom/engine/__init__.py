"""The engine: plans resources and runs them — HTTP, retries, pagination, selection, fan-out.

It knows nothing of dlt's extract API; ``restloom.adapter.source`` turns its page streams into dlt resources.
"""

from restloom.engine.run import Run
from restloom.report import ResourceStats, RunReport

__all__ = ["ResourceStats", "Run", "RunReport"]
