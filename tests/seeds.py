"""The seed configs, taken from the code block of each seed file in ../shared/seeds (never retyped)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from restloom.config.files import load_file

SEEDS_DIR = Path(os.environ.get("RESTLOOM_SEEDS_DIR", Path(__file__).resolve().parents[2] / "shared" / "seeds"))
SEED_FILES = {
    "persona": "000_", "opsgenie": "001_", "easypost": "002_", "yousign": "003_", "zendesk_talk": "004_",
}
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def seed_code(api: str) -> str:
    """The Python code block of the seed file for ``api``."""
    [path] = [p for p in SEEDS_DIR.iterdir() if p.name.startswith(SEED_FILES[api])]
    match = CODE_BLOCK.search(path.read_text(encoding="utf-8"))
    assert match, f"no python code block in {path}"
    return match.group(1)


def seed_config(api: str, *, base_url: str, secrets: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """The seed's config as its code builds it, with only client.base_url changed."""
    for name, value in secrets.items():
        os.environ[name.upper()] = value
    file = tmp_path / f"seed_{api}.py"
    file.write_text(seed_code(api), encoding="utf-8")
    config = load_file(file)
    config["client"]["base_url"] = base_url
    return config
