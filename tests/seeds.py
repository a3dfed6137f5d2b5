"""The seed configs, copied byte for byte into tests/fixtures/seeds (never retyped)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from restloom.config.files import load_file

SEEDS_DIR = Path(__file__).resolve().parent / "fixtures" / "seeds"
SEED_APIS = ("persona", "opsgenie", "easypost", "yousign", "zendesk_talk")


def seed_code(api: str) -> str:
    """The Python code of the seed config for ``api``."""
    return (SEEDS_DIR / f"{api}.py").read_text(encoding="utf-8")


def seed_config(api: str, *, base_url: str, secrets: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """The seed's config as its code builds it, with only client.base_url changed."""
    for name, value in secrets.items():
        os.environ[name.upper()] = value
    file = tmp_path / f"seed_{api}.py"
    file.write_text(seed_code(api), encoding="utf-8")
    config = load_file(file)
    config["client"]["base_url"] = base_url
    return config
