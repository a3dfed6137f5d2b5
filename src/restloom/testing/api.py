"""``SimulatedAPI``: one running simulated service, and ``serve`` to start one in a ``with`` block."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import orjson

from restloom.testing.dataset import Mutation
from restloom.testing.faults import FaultPlan
from restloom.testing.log import RequestRecord
from restloom.testing.ratelimit import Window
from restloom.testing.server import HTTPTransport
from restloom.testing.simulation import Simulation
from restloom.testing.vendor import BuildOptions
from restloom.testing.vendors import VENDORS

__all__ = ["SimulatedAPI", "serve"]

Record = dict[str, Any]


class SimulatedAPI:
    """A simulated vendor API served over real HTTP; use as a context manager or ``start``/``stop``.

    Ground truth: ``ground_truth(list_resource)`` is the list of records exactly as served, in served
    order; for a child resource it is a dict ``parent key -> list of child records`` over every parent
    (empty lists included), in the parents' served order. ``records`` and ``children`` are the typed forms.
    """

    def __init__(self, api: str, *, size: int = 25, seed: int = 0, sizes: Mapping[str, int] | None = None,
                 latency_ms: float = 0, faults: FaultPlan | None = None, rate_limit: bool = False,
                 rate_limit_scale: float = 1.0, export_page_size: int = 1000, host: str = "127.0.0.1",
                 port: int = 0, rate_windows: tuple[Window, ...] | None = None) -> None:
        if api not in VENDORS:
            raise ValueError(f"unknown simulated API {api!r} (known: {', '.join(VENDORS)})")
        if export_page_size < 4:
            raise ValueError("export_page_size must be at least 4 (larger than any same-second group)")
        self.name = api
        self._vendor = VENDORS[api]
        options = BuildOptions(seed=seed, size=size, sizes=dict(sizes or {}),
                               export_page_size=export_page_size)
        self._sim = Simulation(self._vendor, options, faults=faults, rate_limit=rate_limit,
                               rate_limit_scale=rate_limit_scale, latency_ms=latency_ms, rate_windows=rate_windows)
        self._transport = HTTPTransport(self._sim, host=host, port=port)
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SimulatedAPI:
        """Start serving in a background thread."""
        if not self._started:
            self._transport.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._started:
            self._transport.stop()
            self._started = False

    def __enter__(self) -> SimulatedAPI:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- addresses and credentials -------------------------------------------------------------
    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self._transport.root_url

    @property
    def base_url(self) -> str:
        """The seed config's ``client.base_url`` for this server (with the vendor's base path)."""
        base = self._vendor.base_path
        return f"{self.root_url}{base}/" if base else self.root_url

    @property
    def port(self) -> int:
        """The port listened on."""
        return self._transport.port

    @property
    def secrets(self) -> dict[str, str]:
        """The ``dlt.secrets`` names the seed reads, with values valid in the seed's auth form."""
        return dict(self._sim.credentials.secrets)

    @property
    def real_credentials(self) -> dict[str, str]:
        """What the real service's auth form needs."""
        return dict(self._sim.credentials.real)

    # -- ground truth and data ------------------------------------------------------------------
    @property
    def resources(self) -> tuple[str, ...]:
        """Every resource name ``ground_truth`` knows (aliases excluded)."""
        data = self._sim.data
        return (*data.tables, *data.child_specs, *data.objects, *self._vendor.derived_truth)

    def ground_truth(self, resource: str) -> list[Record] | dict[Any, list[Record]]:
        """The records of ``resource`` as served (see the class docstring); copies, safe to modify."""
        name = self._vendor.truth_aliases.get(resource, resource)
        data = self._sim.data
        if name in data.tables:
            truth: Any = data.tables[name].served()
        elif name in data.child_specs:
            return {k: _copy(v) for k, v in data.child_truth(name).items()}
        elif name in data.objects:
            truth = [data.objects[name]]
        elif name in self._vendor.derived_truth:
            truth = self._vendor.derived_truth[name](data)
        else:
            raise KeyError(f"{self.name} has no resource {resource!r} (known: {', '.join(self.resources)})")
        return _copy(truth)

    def records(self, resource: str) -> list[Record]:
        """``ground_truth`` of a list resource, typed as a list."""
        truth = self.ground_truth(resource)
        if not isinstance(truth, list):
            raise TypeError(f"{resource!r} is a child resource: use children()")
        return truth

    def children(self, resource: str) -> dict[Any, list[Record]]:
        """``ground_truth`` of a child resource, typed as ``parent key -> children``."""
        truth = self.ground_truth(resource)
        if not isinstance(truth, dict):
            raise TypeError(f"{resource!r} is not a child resource: use records()")
        return truth

    def mutate(self, seed: int = 1) -> Mutation:
        """Update some records (later update time, one field changed) and add new ones, per list resource."""
        mutation = self._sim.data.mutate(seed)
        self._sim.forget_cache()
        return mutation

    def set_field(self, resource: str, position: int, field: str, value: Any) -> None:
        """Set one field of the record served at ``position`` of a list resource (hostile-data tests); child
        lists derived from the record follow."""
        table = self._sim.data.tables[resource]
        table.served_rows()[position].record[field] = value
        table.invalidate()
        self._sim.data.forget_children()
        self._sim.forget_cache()

    # -- faults and the request log ---------------------------------------------------------------
    def set_faults(self, plan: FaultPlan | None) -> None:
        """Replace the fault plan (None: no faults); request counters keep running."""
        self._sim.faults = plan

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen so far, in arrival order."""
        return self._sim.log.snapshot()

    @property
    def peak_in_flight(self) -> int:
        """The most requests the server was answering at once so far."""
        return self._sim.peak_in_flight

    def clear_requests(self) -> None:
        """Forget the request log (fault counters keep running)."""
        self._sim.log.clear()


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def serve(api: str, *, size: int = 25, seed: int = 0, sizes: Mapping[str, int] | None = None,
          latency_ms: float = 0, faults: FaultPlan | None = None, rate_limit: bool = False,
          rate_limit_scale: float = 1.0, export_page_size: int = 1000, port: int = 0,
          rate_windows: tuple[Window, ...] | None = None) -> SimulatedAPI:
    """A simulated ``api`` ready for ``with serve(...) as api:`` (started on enter, stopped on exit).
    ``rate_windows`` replaces the vendor's rate-limit windows (with ``rate_limit=True``)."""
    return SimulatedAPI(api, size=size, seed=seed, sizes=sizes, latency_ms=latency_ms, faults=faults,
                        rate_limit=rate_limit, rate_limit_scale=rate_limit_scale,
                        export_page_size=export_page_size, port=port, rate_windows=rate_windows)
