"""A secret that is not set, in a Python config or a catalog connector: one short message per secret
naming the environment variable and .dlt/secrets.toml, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.commands import restloom_command

PYTHON_CONFIG = '''import dlt

config = {
    "client": {"base_url": "http://127.0.0.1:9/", "auth": {"type": "bearer", "token": dlt.secrets["api_key"]}},
    "resources": ["accounts"],
}
'''
UNSET = ("API_KEY", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN")


def _restloom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update({"DLT_DATA_DIR": str(cwd / "dlt_data"), "COLUMNS": "400"})
    return subprocess.run([restloom_command(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("command", ["check", "run"])
def test_python_config_missing_secret_is_one_line(tmp_path: Path, command: str) -> None:
    """`dlt.secrets["api_key"]` unset in a Python config: exit 2 and one line naming the secret, API_KEY and
    .dlt/secrets.toml (it was a truncated multi-line dlt message; before that a traceback)."""
    (tmp_path / "api.py").write_text(PYTHON_CONFIG, encoding="utf-8")
    done = _restloom(command, "api.py", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("api.py: invalid config: 1 problem\n"
                           "  - api.py at line 4: secret 'api_key' is not set: export API_KEY=... "
                           "or add it to .dlt/secrets.toml\n")


@pytest.mark.parametrize("command", ["check", "run"])
def test_catalog_connector_missing_two_secrets_names_both(tmp_path: Path, command: str) -> None:
    """`restloom run/check zendesk_talk` with neither of its secrets set lists both in one error, exit 2."""
    done = _restloom(command, "zendesk_talk", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "zendesk_talk: invalid config: 2 problems\n"
        "  - client.auth.username: secret 'zendesk_email' is not set: export ZENDESK_EMAIL=... "
        "or add it to .dlt/secrets.toml\n"
        "  - client.auth.password: secret 'zendesk_api_token' is not set: export ZENDESK_API_TOKEN=... "
        "or add it to .dlt/secrets.toml\n")
