"""Collecting config problems: every one is kept, each with its config path, and raised once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from restloom.errors import ConfigError, ConfigIssue
from restloom.text import closest, did_you_mean

__all__ = ["Issues", "join", "named_path", "notice_resources", "resource_names"]

MAX_MESSAGE = 300


def describe(value: Any) -> str:
    """A short description of a value's type for 'expected X, got Y' messages (never the value)."""
    return type(value).__name__


class Issues:
    """An ordered collection of config problems; ``raise_if_any`` raises one ConfigError with all."""

    def __init__(self) -> None:
        self._items: list[ConfigIssue] = []
        self.notices: list[str] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at ``path``."""
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        self._items.append(ConfigIssue(path, message))

    def notice(self, path: str, message: str) -> None:
        """Record a setting that is valid (dlt accepts it) but can never take effect: shown, not raised."""
        self.notices.append(str(ConfigIssue(path, message)))

    def extend(self, error: ConfigError) -> None:
        """Take over the problems of a ConfigError raised by a helper."""
        self._items.extend(error.issues)

    def unknown_keys(self, mapping: Mapping[str, Any], known: Iterable[str], path: str) -> None:
        """One problem per key of ``mapping`` that is not in ``known``, with a did-you-mean."""
        known_list = sorted(known)
        for key in mapping:
            if key not in known_list:
                close = closest(str(key), known_list)
                head = f"unknown key '{key}'{did_you_mean(str(key), known_list)}"
                room = MAX_MESSAGE - 1 - len(f"{head} (known: )")
                fits = len(", ".join(known_list)) <= room
                names = known_list if fits else [k for k in known_list if k != close]
                self.add(join(path, str(key)), f"{head} (known: {_listing(names, room)})")

    def expect(self, value: Any, types: type | tuple[type, ...], path: str, expected: str) -> bool:
        """True when ``value`` is of ``types``; otherwise record 'expected ..., got ...'."""
        if isinstance(value, bool) and bool not in _as_tuple(types) and int in _as_tuple(types):
            self.add(path, f"expected {expected}, got bool")
            return False
        if isinstance(value, types):
            return True
        self.add(path, f"expected {expected}, got {describe(value)}")
        return False

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def sort_by(self, key: Callable[[str], Any]) -> None:
        """Order the problems by ``key`` of their path; problems with equal keys keep their order."""
        self._items.sort(key=lambda issue: key(issue.path))

    def name_resources(self, names: Mapping[int, str]) -> None:
        """Put each resource's name after its index in the problems' paths: ``resources[3] (cases).endpoint``."""
        self._items = [ConfigIssue(named_path(issue.path, names), issue.message) for issue in self._items]

    def raise_if_any(self) -> None:
        """Raise one ConfigError carrying every collected problem."""
        if self._items:
            raise ConfigError(self._items)


def _listing(names: list[str], room: int) -> str:
    """``names`` comma-separated, cut at a name (``..., and 3 more``) when longer than ``room``."""
    text = ", ".join(names)
    shown = list(names)
    while len(text) > room and shown:
        shown.pop()
        text = ", ".join(shown) + f", and {len(names) - len(shown)} more"
    return text


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def join(path: str, key: str | int) -> str:
    """Extend a config path with a key or an index: ``join('resources', 3)`` → ``resources[3]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


_RESOURCE_INDEX = re.compile(r"resources\[(\d+)\](?=$|[.\[:])")
_NOTICE_RESOURCES = (re.compile(r"resources\[\d+\] \(([^)]*)\)"), re.compile(r"resource '([^']*)'"),
                     re.compile(r"resources '([^']*)' and '([^']*)'"))


def named_path(path: str, names: Mapping[int, str]) -> str:
    """``path`` with the resource's name after a leading ``resources[N]`` when ``names`` knows index N."""
    match = _RESOURCE_INDEX.match(path)
    if match is None or int(match.group(1)) not in names:
        return path
    return f"{match.group(0)} ({names[int(match.group(1))]}){path[match.end():]}"


def resource_names(config: Any) -> dict[int, str]:
    """Each parsed resource's name by its index in ``resources`` (from its config path)."""
    names: dict[int, str] = {}
    for spec in config.resources:
        match = _RESOURCE_INDEX.match(spec.config_path)
        if match is not None:
            names[int(match.group(1))] = spec.name
    return names


def notice_resources(notice: str) -> tuple[str, ...]:
    """The resources a notice is about (none for one about the whole config, such as resource_defaults)."""
    for pattern in _NOTICE_RESOURCES:
        match = pattern.match(notice)
        if match is not None:
            return match.groups()
    return ()
