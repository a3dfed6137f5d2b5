"""The ``restloom`` script the CLI tests run as a subprocess."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path


def restloom_command() -> str:
    """The ``restloom`` script of this environment (beside the interpreter when it is not on PATH)."""
    return shutil.which("restloom") or str(Path(sys.executable).parent / "restloom")


def summary_row(stdout: str, resource: str) -> list[str]:
    """The cells of ``resource``'s row in a run's summary table (its first cell is the resource's name)."""
    for line in stdout.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        if cells and cells[0] == resource:
            return cells
    raise AssertionError(f"no summary row for {resource} in:\n{stdout}")
