"""Config files that used to crash the CLI with a traceback: each is a short error naming the file, exit 2."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from restloom.config import load_file
from restloom.errors import ConfigError
from tests.integration.commands import restloom_command

HEAD = "invalid config: 1 problem\n  - "
CURSOR = "{client: {base_url: 'http://127.0.0.1:9/'}, resources: [{name: a, endpoint: {path: a, paginator: %s}}]}\n"
BAD_JSONPATH = "invalid JSONPath '$.[[[': Parse error at 1:3 near token [ ([)"
PAGINATOR = "resources[0] (a).endpoint.paginator"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


FILES: dict[str, tuple[str | bytes, str]] = {
    "cursor_path.yaml": (CURSOR % "{type: cursor, cursor_param: c, limit: 10, cursor_path: '$.[[['}",
                         f"{PAGINATOR}.cursor_path: {BAD_JSONPATH}"),
    "dlt_cursor_path.yaml": (CURSOR % "{type: cursor, cursor_param: c, cursor_path: '$.[[['}",
                             f"{PAGINATOR}.cursor_path: {BAD_JSONPATH}"),
    "has_more_path.yaml": (CURSOR % "{type: cursor, limit: 10, cursor_path: n, has_more_path: '$.[[['}",
                           f"{PAGINATOR}.has_more_path: {BAD_JSONPATH}"),
    "not_utf8.yaml": (b"client: {base_url: 'http://x/'}\nresources: [\xff\xfe]\n",
                      "not_utf8.yaml is not UTF-8 text: byte 0xff at offset 44 (line 2)"),
    "deep.yaml": ("a: " + "[" * 20_000 + "]" * 20_000 + "\n",
                  "deep.yaml is not valid YAML: nested deeper than 100 levels (line 1, column 103)"),
    "deep.json": ('{"a": ' + "[" * 20_000 + "]" * 20_000 + "}",
                  "deep.json is not valid JSON: nested too deep (more than 100 levels)"),
    "bomb.yaml": (_alias_bomb(), "bomb.yaml is not valid YAML: aliases expand the document to more than "
                                 "100,000 nodes (line 6, column 5)"),
    "raises.py": ("import os\n\nraise RuntimeError('no config here')\n",
                  "raises.py failed at line 3: RuntimeError: no config here"),
    "syntax.py": ("config = {\n", "syntax.py failed at line 1: SyntaxError: '{' was never closed (syntax.py, line 1)"),
    "exits.py": ("import sys\nsys.exit(3)\n", "exits.py failed at line 2: SystemExit: 3"),
}


def _write(tmp_path: Path, name: str) -> Path:
    content = FILES[name][0]
    file = tmp_path / name
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content, encoding="utf-8")
    return file


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("name", sorted(FILES))
def test_hostile_config_file_is_a_short_error(tmp_path: Path, name: str, command: str) -> None:
    """`restloom run/check FILE` on a file that crashed the CLI: exit 2, one short message naming the file
    (and the config path or line), no traceback."""
    _write(tmp_path, name)
    env = {**os.environ, "DLT_DATA_DIR": str(tmp_path / "dlt_data"), "COLUMNS": "400"}
    done = subprocess.run([restloom_command(), command, name], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{name}: {HEAD}{FILES[name][1]}\n"


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    """A YAML alias bomb (9 levels of 9) is refused while the file is read, well within a second
    (it took 77 s and then a MemoryError)."""
    file = _write(tmp_path, "bomb.yaml")
    started = time.perf_counter()
    with pytest.raises(ConfigError):
        load_file(file)
    assert time.perf_counter() - started < 1.0


def test_anchors_and_merge_keys_still_load(tmp_path: Path) -> None:
    """Ordinary anchors, aliases and merge keys within the budget load as before."""
    file = tmp_path / "anchors.yaml"
    file.write_text("defaults: &d {primary_key: id, write_disposition: merge}\n"
                    "resources: [{<<: *d, name: a}, {<<: *d, name: b}]\n", encoding="utf-8")
    assert load_file(file)["resources"] == [{"primary_key": "id", "write_disposition": "merge", "name": "a"},
                                            {"primary_key": "id", "write_disposition": "merge", "name": "b"}]
