"""Loading catalog connectors: secrets stay references until the connector is resolved."""

from __future__ import annotations

import pytest

from restloom.catalog import catalog_raw, load_connector, secret_names
from restloom.config import SecretRef
from restloom.errors import ConfigError, ConfigIssue


def test_catalog_raw_keeps_secret_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw connector holds a SecretRef, not the exported value."""
    monkeypatch.setenv("YOUSIGN_API_KEY", "ys-key-1")
    assert catalog_raw("yousign")["client"]["auth"]["token"] == SecretRef("yousign_api_key")
    assert secret_names("zendesk_talk") == ["zendesk_email", "zendesk_api_token"]


def test_load_connector_resolves_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """load_connector returns a resolved config whose auth carries the exported secret."""
    monkeypatch.setenv("YOUSIGN_API_KEY", "ys-key-1")
    config = load_connector("yousign", base_url="http://127.0.0.1:1/")
    assert config.resolved is True
    assert config.client.base_url == "http://127.0.0.1:1/"
    assert dict(config.client.auth.params) == {"token": "ys-key-1"}  # type: ignore[union-attr]


def test_load_connector_without_the_secret_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A connector whose secret is not set raises one ConfigError naming the secret and its path."""
    monkeypatch.delenv("YOUSIGN_API_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        load_connector("yousign")
    assert info.value.issues == (ConfigIssue(
        "client.auth.token",
        "secret 'yousign_api_key' is not set: export YOUSIGN_API_KEY=... or add it to .dlt/secrets.toml"),)
