"""Message text helpers shared by every layer: one did-you-mean, one truncation.

Messages say what happened and where; these keep them short and helpful the same way everywhere.
This module imports nothing from restloom.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean", "truncate"]


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known word closest to ``word``, when one is close enough to be a likely typo."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` when a known word is close to ``word``, else an empty string."""
    close = closest(word, known)
    return f" — did you mean '{close}'?" if close else ""


def truncate(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out: ``...(N more characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...({len(text) - limit} more characters)"
