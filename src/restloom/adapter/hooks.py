"""Test hooks for the crash tests: step markers and pauses, so a test can kill -9 at a chosen point.

Only the environment turns them on; without it every function here is a plain call.

- ``RESTLOOM_STEP_MARKERS=1`` prints ``restloom step: <name>`` on stderr when a step starts (``recover``,
  ``extract``, ``normalize``, ``load``) and ``restloom step: load:<n> <job file>`` when a load job is paused.
- ``RESTLOOM_PAUSE_AT=<step>`` waits for a signal when that step starts; ``<step>:<n>`` (not ``load``) when it
  starts for the n-th time (a stepped resource runs extract, normalize and load once per window).
- ``RESTLOOM_PAUSE_AT=load:<n>`` waits for a signal inside the load step, after the n-th load job of the
  process ran on the destination (its rows are committed) and before dlt records it as done: the
  window in which a crash leaves a job that is replayed on resume. ``load:<format>`` (``sql``,
  ``parquet``, ``insert_values``) pauses at the first job of that file format (``sql``: the merge).
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["install_load_job_pause", "step"]

_installed = threading.Lock()


_started: dict[str, int] = {}


def step(name: str, action: Callable[[], Any]) -> Any:
    """Run ``action`` as the step ``name``: its marker first, its pause if asked for (``<name>``: at its
    first start; ``<name>:<n>``: at its n-th start in this process, e.g. the extract of a run's third pass)."""
    _marker(name)
    _started[name] = _started.get(name, 0) + 1
    if os.environ.get("RESTLOOM_PAUSE_AT") in (name, f"{name}:{_started[name]}"):
        signal.pause()
    return action()


def install_load_job_pause() -> None:
    """With ``RESTLOOM_PAUSE_AT=load:<n>``, pause the n-th load job between its commit and its record."""
    wanted = os.environ.get("RESTLOOM_PAUSE_AT", "")
    if not wanted.startswith("load:") or not _installed.acquire(blocking=False):
        return
    from dlt.common.destination.client import RunnableLoadJob
    from dlt.common.storages.load_storage import ParsedLoadJobFileName

    which = wanted.removeprefix("load:")
    count = itertools.count(1)
    release = RunnableLoadJob._release

    def chosen(job: Any) -> bool:
        if which.isdigit():
            return next(count) == int(which)
        return bool(ParsedLoadJobFileName.parse(job.file_name()).file_format == which)

    def paused_release(job: Any, next_state: Any) -> None:
        if next_state == "completed" and chosen(job):
            _marker(f"{wanted} {job.file_name()}")
            threading.Event().wait()  # until the test's kill -9
        release(job, next_state)

    RunnableLoadJob._release = paused_release  # type: ignore[method-assign,assignment]


def _marker(name: str) -> None:
    if os.environ.get("RESTLOOM_STEP_MARKERS"):
        print(f"restloom step: {name}", file=sys.stderr, flush=True)
