"""Secret references in YAML/JSON configs resolve through dlt.secrets, optionally inside a string."""

from __future__ import annotations

import pytest

from restloom.config.files import resolve_secrets
from restloom.errors import ConfigError


def test_secret_reference_and_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """{secret: NAME} is the secret's value; with format it is placed where {} stands."""
    monkeypatch.setenv("GENIE_KEY", "k-123")
    monkeypatch.setenv("ZENDESK_EMAIL", "me@example.com")
    raw = {"auth": {"name": "Authorization", "api_key": {"secret": "genie_key", "format": "GenieKey {}"}},
           "user": {"secret": "zendesk_email", "format": "{}/token"}, "plain": {"secret": "genie_key"},
           "list": [{"secret": "genie_key"}], "other": {"secret": "genie_key", "x": 1}}
    assert resolve_secrets(raw) == {
        "auth": {"name": "Authorization", "api_key": "GenieKey k-123"},
        "user": "me@example.com/token", "plain": "k-123", "list": ["k-123"],
        "other": {"secret": "genie_key", "x": 1}}


def test_missing_secret_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret that is not set is one ConfigError saying which variable to export."""
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ConfigError) as info:
        resolve_secrets({"token": {"secret": "not_set_anywhere"}})
    assert [str(i) for i in info.value.issues] == [
        "secret 'not_set_anywhere' is not set: export NOT_SET_ANYWHERE=... or add it to .dlt/secrets.toml"]
