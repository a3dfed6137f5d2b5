"""One run of a pipeline at a time, on one machine: an OS file lock beside the pipeline's working directory.

Two processes running the same dlt pipeline share its working directory (state, schemas, packages) and
its tables; interleaved, they can leave a package that refers to tables the other dropped, or lose rows.
``pipeline_lock`` takes ``fcntl.flock`` on ``<pipelines_dir>/<pipeline_name>.lock`` and writes the holder's
pid and start time into it. The kernel releases a flock when its process dies, however it dies (kill -9
included), so a stale lock never blocks: the file may still name a dead pid, but it is not locked.

A second run refuses at once with ``PipelineBusy`` ("pipeline 'x' is being run by pid N since ...");
``RESTLOOM_LOCK_WAIT=<seconds>`` (or ``wait=``) makes it wait that long for the lock first. Within one
process the lock is re-entrant (a ``sync`` holding it may build a source that asks for it again).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from dlt.common.pipeline import get_dlt_pipelines_dir

from restloom.errors import PipelineBusy

__all__ = ["lock_path", "pipeline_lock"]

POLL_SECONDS = 0.1
_held: dict[str, int] = {}  # lock file -> how many holders in this process
_guard = threading.Lock()


def lock_path(pipeline_name: str, pipelines_dir: str | None = None) -> Path:
    """Where the lock of ``pipeline_name`` lives (dlt's default pipelines dir unless given)."""
    return Path(pipelines_dir or get_dlt_pipelines_dir()) / f"{pipeline_name}.lock"


@contextmanager
def pipeline_lock(pipeline_name: str, pipelines_dir: str | None = None, *, wait: float | None = None) -> Iterator[None]:
    """Hold the pipeline's lock for the block; ``PipelineBusy`` if another process holds it past ``wait`` s."""
    path = lock_path(pipeline_name, pipelines_dir)
    key = str(path)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            _release_count(key)
        return
    descriptor = _acquire(path, pipeline_name, wait=_wait_seconds(wait))
    with _guard:
        _held[key] = 1
    try:
        yield
    finally:
        _release_count(key)
        os.ftruncate(descriptor, 0)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _acquire(path: Path, pipeline_name: str, *, wait: float) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _holder(descriptor)
                os.close(descriptor)
                raise PipelineBusy(f"pipeline '{pipeline_name}' is being run by {holder}; this run did nothing "
                                   f"(run it again when that one ends, or set RESTLOOM_LOCK_WAIT=<seconds> "
                                   f"to wait for it)") from None
            time.sleep(POLL_SECONDS)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()} {started}\n".encode(), 0)
    return descriptor


def _holder(descriptor: int) -> str:
    fields = os.pread(descriptor, 200, 0).decode(errors="replace").split()
    if len(fields) == 2 and fields[0].isdigit():
        return f"pid {fields[0]} since {fields[1]}"
    return "another process (it has not written its pid yet)"


def _wait_seconds(wait: float | None) -> float:
    if wait is not None:
        return wait
    try:
        return max(0.0, float(os.environ.get("RESTLOOM_LOCK_WAIT", "0")))
    except ValueError:
        return 0.0


def _release_count(key: str) -> None:
    with _guard:
        _held[key] -= 1
        if not _held[key]:
            del _held[key]
