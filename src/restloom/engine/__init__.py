"""The engine: plans resources and runs them — HTTP, retries, pagination, selection, fan-out.

It knows nothing of dlt's extract API; ``restloom.source`` turns its page streams into dlt resources.
"""

from restloom.engine.report import ResourceStats, RunReport
from restloom.engine.run import Run

__all__ = ["ResourceStats", "Run", "RunReport"]
