"""Deterministic building blocks for simulated data: seeded RNGs, ids, timestamps, times."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime

__all__ = [
    "END_EPOCH",
    "creation_times",
    "digest_token",
    "iso_ms_z",
    "iso_offset",
    "iso_z",
    "rng_for",
    "uuid_for",
]

END_EPOCH = 1_717_200_000
"""2024-06-01T00:00:00Z: generated data is created before this instant; mutations come after."""

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def rng_for(*parts: object) -> random.Random:
    """Return a ``random.Random`` seeded from ``parts`` (stable across runs and processes)."""
    return random.Random(":".join(str(p) for p in parts))


def _digest(parts: tuple[object, ...], size: int) -> bytes:
    return hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=size).digest()


def digest_token(*parts: object, length: int = 24, alphabet: str = _BASE58) -> str:
    """Return a ``length``-character token over ``alphabet`` derived from ``parts``."""
    number = int.from_bytes(_digest(parts, 32), "big")
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        chars.append(alphabet[rest])
    return "".join(chars)


def uuid_for(*parts: object) -> str:
    """Return a version-4-shaped UUID string derived from ``parts``."""
    return str(uuid.UUID(bytes=_digest(parts, 16), version=4))


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def iso_z(epoch: float) -> str:
    """``2024-01-02T13:29:20Z``."""
    return _utc(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_z(epoch: float, ms: int = 0) -> str:
    """``2024-01-02T13:29:20.584Z`` (milliseconds given separately to keep epochs integral)."""
    return _utc(epoch).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def iso_offset(epoch: float) -> str:
    """``2024-01-02T13:29:20+00:00``."""
    return _utc(epoch).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def creation_times(rng: random.Random, count: int, *, mean_gap: int = 3600,
                   end: int = END_EPOCH) -> list[int]:
    """Return ``count`` strictly increasing epochs ending before ``end``, gaps drawn around ``mean_gap``."""
    gaps = [rng.randint(1, 2 * mean_gap) for _ in range(count)]
    start = end - sum(gaps) - 1
    times, current = [], start
    for gap in gaps:
        current += gap
        times.append(current)
    return times
