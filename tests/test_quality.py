"""Quality gates run with the suite: ruff over the whole tree, mypy over the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", name, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ruff_is_clean() -> None:
    """ruff's broad rule set (pyproject.toml) finds nothing in src, tests or bench."""
    result = _tool("ruff", "check", "src", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """mypy finds no type error in the package."""
    result = _tool("mypy", "src/restloom")
    assert result.returncode == 0, result.stdout + result.stderr
