"""Simulated versions of the five services behind the seed configs (and a generic API serving every
pagination style dlt knows, for differential tests, and a small ledger of accounts and their entries by
time, for per-parent cursors), served over real HTTP.

``serve("persona", size=25, seed=7)`` returns a ``SimulatedAPI``; use it in a ``with`` block. See
``SimulatedAPI`` for ground truth, the request log, mutation and faults, ``FaultPlan`` for fault
injection, and ``restloom.testing.fixtures`` for pytest fixtures. ``inprocess_session`` answers requests
from a function instead, with no server (``restloom.testing.inprocess``).

It stands apart from the product's layers: it imports nothing else of restloom, so the simulated APIs
never depend on the code they test.
"""

from restloom.testing.api import SimulatedAPI, serve
from restloom.testing.dataset import Mutation
from restloom.testing.faults import Fault, FaultPlan
from restloom.testing.inprocess import InProcessAdapter, Reply, inprocess_session
from restloom.testing.log import RequestRecord

API_NAMES = ("persona", "opsgenie", "easypost", "yousign", "zendesk_talk", "generic", "ledger")

__all__ = [
    "API_NAMES",
    "Fault",
    "FaultPlan",
    "InProcessAdapter",
    "Mutation",
    "Reply",
    "RequestRecord",
    "SimulatedAPI",
    "inprocess_session",
    "serve",
]
