"""Reading a config from a file (YAML, JSON or Python), with its secret references marked.

A YAML or JSON config names a secret without containing it: any value written as a mapping with the
key ``secret`` — ``token: {secret: api_key}`` — becomes a ``SecretRef`` here; reading the file is the
only I/O. ``restloom.config.secrets.resolve`` later replaces it by ``dlt.secrets["api_key"]``, which
follows dlt's conventions (the environment variable ``API_KEY``, ``.dlt/secrets.toml``, ...).
An optional ``format`` puts the secret inside a string: ``{secret: genie_key, format: "GenieKey {}"}``.

A Python config file is executed and must define ``config`` (a dict) or ``source``; a file written
for dlt — ``source = rest_api_source({...})`` imported from ``dlt.sources.rest_api`` — is accepted as
is: its config is captured instead of being built by dlt.

Whatever the file holds, reading it ends in a config dict or in one short ``ConfigError`` naming the file:
bytes that are not UTF-8 (the offset and line of the first bad byte), invalid YAML or JSON, nesting deeper
than ``MAX_DEPTH`` or an alias expansion past ``MAX_NODES`` (``restloom.config.bounded_yaml``), and a
Python config that raises or does not compile (its line and exception, no traceback). A Python config
reading a secret that is not set (``dlt.secrets["api_key"]``) names the secret and the environment
variable dlt read, as a YAML config's ``{secret: api_key}`` does.
"""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTrace

from restloom.config.bounded_yaml import MAX_DEPTH, MAX_NODES, load_yaml
from restloom.config.models import SecretRef
from restloom.config.secrets import secret_env_name
from restloom.errors import ConfigError, ConfigIssue
from restloom.text import truncate


def load_file(path: str | Path) -> dict[str, Any]:
    """The raw config dict in ``path``, each secret reference a ``SecretRef`` (nothing is resolved)."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError([ConfigIssue("", f"config file not found: {file}")])
    suffix = file.suffix.lower()
    raw = _load_python(file) if suffix == ".py" else _load_data(file, suffix)
    if not isinstance(raw, dict):
        raise ConfigError([ConfigIssue("", f"{file.name}: the config must be a mapping, got {type(raw).__name__}")])
    _check_shape(raw, file)
    marked = mark_secrets(raw)
    assert isinstance(marked, dict)
    return marked


def _load_data(file: Path, suffix: str) -> Any:
    text = _read_utf8(file)
    kind = "JSON" if suffix == ".json" else "YAML"
    try:
        if suffix == ".json":
            return json.loads(text)
        return load_yaml(text, name=file.name)
    except RecursionError as exc:
        raise _file_error(file, f"is not valid JSON: nested too deep (more than {MAX_DEPTH} levels)") from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise _file_error(file, f"is not valid {kind}: {truncate(str(exc), 400)}") from exc


def _check_shape(value: Any, file: Path) -> None:
    """Refuse a config nested deeper than ``MAX_DEPTH`` or, shared values counted at every use, larger
    than ``MAX_NODES`` (a Python config can build either); walked without recursion."""
    stack, seen = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise _file_error(file, f"is too large: more than {MAX_NODES:,} values")
        if isinstance(item, Mapping | list | tuple):
            if depth > MAX_DEPTH:
                raise _file_error(file, f"is nested deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, Mapping) else item))


def _read_utf8(file: Path) -> str:
    data = file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {line})"
        raise _file_error(file, message) from exc


def _file_error(file: Path, message: str) -> ConfigError:
    return ConfigError([ConfigIssue("", f"{file.name} {message}")])


class _Captured:
    """Stands in for the source a dlt-style config file builds; it carries the config."""

    def __init__(self, config: Any) -> None:
        self.config = config


SOURCE_CONFIG_ATTRIBUTE = "_restloom_config"
"""The attribute on which ``restloom.rest_api_source`` leaves the raw config of the source it builds, so
a Python config file written for restloom is read back without patching anything of restloom's."""


@contextmanager
def _capture_dlt_calls() -> Iterator[None]:
    """While a config file runs, dlt's ``rest_api_source`` captures its config instead of building a dlt
    source (dlt would refuse the extended dialect). restloom's own ``rest_api_source`` runs as it is and
    leaves its config on the source (``SOURCE_CONFIG_ATTRIBUTE``)."""
    import dlt.sources.rest_api as dlt_rest_api

    def capture(config: Any, *args: Any, **kwargs: Any) -> _Captured:
        return _Captured(config)

    saved = dlt_rest_api.rest_api_source
    dlt_rest_api.rest_api_source = capture  # type: ignore[assignment]
    try:
        yield
    finally:
        dlt_rest_api.rest_api_source = saved


def _load_python(file: Path) -> Any:
    try:
        with _capture_dlt_calls():
            namespace = runpy.run_path(str(file), run_name="restloom_config")
    except ConfigError:
        raise
    except ConfigFieldMissingException as exc:  # dlt.secrets["name"] that is not set: named, as in YAML
        raise ConfigError([ConfigIssue("", f"{file.name}{_line_of(exc, file)}: {problem}")
                           for problem in _missing_secrets(exc)]) from exc
    except (Exception, SystemExit) as exc:  # the file's own failure, reported as one line, no traceback
        raise _file_error(file, f"failed{_line_of(exc, file)}: {type(exc).__name__}: {truncate(str(exc), 200)}"
                          ) from exc
    if isinstance(namespace.get("config"), dict):
        return namespace["config"]
    source = namespace.get("source")
    if isinstance(source, _Captured):
        return source.config
    if isinstance(getattr(source, SOURCE_CONFIG_ATTRIBUTE, None), Mapping):
        return dict(getattr(source, SOURCE_CONFIG_ATTRIBUTE))
    raise ConfigError([ConfigIssue("", f"{file.name} defines neither `config` (a dict) nor `source`")])


def _missing_secrets(exc: ConfigFieldMissingException) -> list[str]:
    """One problem per field dlt could not find, naming the environment variable it read."""
    problems = []
    for field in exc.fields:
        env_keys = [trace.key for trace in exc.traces.get(field, [])
                    if isinstance(trace, LookupTrace) and trace.provider == "Environment Variables"]
        env_name = env_keys[0] if env_keys else secret_env_name(field)
        problems.append(f"secret '{field}' is not set: export {env_name}=... or add it to .dlt/secrets.toml")
    return problems


def _line_of(exc: BaseException, file: Path) -> str:
    """`` at line N`` of ``file`` where ``exc`` was raised (or, for a syntax error, found), if known."""
    line = exc.lineno if isinstance(exc, SyntaxError) else None
    traceback = exc.__traceback__
    while traceback is not None:
        if Path(traceback.tb_frame.f_code.co_filename) == file:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return f" at line {line}" if line else ""


def is_secret_ref(value: Any) -> bool:
    """True for ``{secret: NAME}`` and ``{secret: NAME, format: "..."}``."""
    return (isinstance(value, Mapping) and set(value) in ({"secret"}, {"secret", "format"})
            and isinstance(value["secret"], str))


def mark_secrets(value: Any) -> Any:
    """A copy of ``value`` where every ``{secret: NAME}`` mapping is a ``SecretRef`` (no lookup)."""
    if isinstance(value, Mapping):
        if is_secret_ref(value):
            template = value.get("format")
            return SecretRef(value["secret"], template if isinstance(template, str) else None)
        return {key: mark_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mark_secrets(item) for item in value]
    return value
