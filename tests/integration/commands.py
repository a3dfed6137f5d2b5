"""The ``restloom`` script the CLI tests run as a subprocess."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def restloom_command() -> str:
    """The ``restloom`` script of this environment (beside the interpreter when it is not on PATH)."""
    return shutil.which("restloom") or str(Path(sys.executable).parent / "restloom")
