"""``restloom mock serve <api>``: run one simulated API in the foreground until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from restloom.testing.api import SimulatedAPI
from restloom.testing.faults import parse_fault_spec
from restloom.testing.vendors import VENDORS

__all__ = ["mock_app"]

mock_app = typer.Typer(no_args_is_help=True, add_completion=False, help="Run the simulated APIs.")

_FAULT_HELP = (
    "Inject faults; repeat for several. SPEC is FAULT@WHEN. FAULT: a status code (503, 500, 429...), "
    "429:retry_after=SECONDS (add vendor_headers=0 to leave out the vendor's headers), drop (close the "
    "connection), slow:delay_ms=MS, truncate (cut JSON body), empty (a 200 with no body). WHEN: a rate "
    "(0.1), #N (the Nth request overall) or /path#N (the Nth request to /path). Examples: 503@0.1, "
    "429:retry_after=1@0.05, drop@0.02, truncate@#3, 503@/accounts#2."
)


@mock_app.callback()
def _group() -> None:
    """Run the simulated APIs (persona, opsgenie, easypost, yousign, zendesk_talk)."""


@mock_app.command()
def serve(  # noqa: PLR0917 (typer passes options positionally)
    api: Annotated[str, typer.Argument(help=f"One of: {', '.join(VENDORS)}.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 0,
    size: Annotated[int, typer.Option(help="Records per list resource.")] = 25,
    seed: Annotated[int, typer.Option(help="Seed of the data and of rate-picked faults.")] = 0,
    latency_ms: Annotated[float, typer.Option(help="Added latency per request, ms.")] = 0,
    fault: Annotated[list[str] | None, typer.Option(metavar="SPEC", help=_FAULT_HELP)] = None,
    rate_limit: Annotated[bool, typer.Option(help="Enforce the vendor's rate limits.")] = False,
    rate_limit_scale: Annotated[float, typer.Option(help="Multiply rate-limit windows by this.")] = 1.0,
) -> None:
    """Serve a simulated API, print its base URL and credentials, and run until Ctrl-C."""
    if api not in VENDORS:
        raise typer.BadParameter(f"unknown API {api!r} (known: {', '.join(VENDORS)})", param_hint="API")
    try:
        plan = parse_fault_spec(list(fault or []), seed=seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--fault") from exc
    simulated = SimulatedAPI(api, size=size, seed=seed, latency_ms=latency_ms, faults=plan,
                             rate_limit=rate_limit, rate_limit_scale=rate_limit_scale, port=port)
    with simulated:
        typer.echo(f"base_url: {simulated.base_url}")
        for name, value in simulated.secrets.items():
            typer.echo(f"secret {name}: {value}")
        for name, value in simulated.real_credentials.items():
            typer.echo(f"real credential {name}: {value}")
        typer.echo("serving; press Ctrl-C to stop", err=True)
        _wait_for_interrupt()
    typer.echo("stopped", err=True)


def _wait_for_interrupt() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
