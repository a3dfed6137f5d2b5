"""resolve(config): secrets and auth credentials are read after parsing, every problem with its path."""

from __future__ import annotations

from typing import Any

import pytest
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from restloom.config import SecretRef, parse, resolve
from restloom.errors import ConfigError, ConfigIssue

BASE = "https://api.example.com/v1/"


def _config(client_auth: Any = None, **endpoint: Any) -> dict[str, Any]:
    client: dict[str, Any] = {"base_url": BASE}
    if client_auth is not None:
        client["auth"] = client_auth
    return {"client": client, "resources": [{"name": "r", "endpoint": {"path": "r", **endpoint}}]}


def _issues(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        resolve(parse(raw))
    return [str(issue) for issue in info.value.issues]


@pytest.fixture(autouse=True)
def _no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secrets and credentials these tests name are unset unless a test sets them."""
    for name in ("API_TOKEN", "HEADER_KEY", "NOT_SET_ANYWHERE", "SOURCES__REST_API__CREDENTIALS__TOKEN",
                 "SOURCES__REST_API__REST_API__CREDENTIALS__TOKEN", "CREDENTIALS__TOKEN",
                 "SOURCES__REST_API__CREDENTIALS__USERNAME", "CREDENTIALS__USERNAME"):
        monkeypatch.delenv(name, raising=False)


def test_secret_refs_are_filled_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Auth params, headers, params and json get the secret's value (formatted where asked)."""
    monkeypatch.setenv("API_TOKEN", "tok-1")
    monkeypatch.setenv("HEADER_KEY", "hk-2")
    raw = _config({"type": "bearer", "token": SecretRef("api_token")}, method="POST",
                  headers={"X-Key": SecretRef("header_key", "Key {}")}, params={"key": SecretRef("header_key")},
                  json={"auth": {"key": SecretRef("api_token")}, "list": [SecretRef("header_key")]})
    config = resolve(parse(raw))
    endpoint = config.resources[0].endpoint
    assert config.resolved is True
    assert dict(endpoint.auth.params) == {"token": "tok-1"}  # type: ignore[union-attr]
    assert dict(endpoint.headers) == {"X-Key": "Key hk-2"}
    assert dict(endpoint.params) == {"key": "hk-2"}
    assert endpoint.json == {"auth": {"key": "tok-1"}, "list": ["hk-2"]}


def test_missing_secret_is_named_with_its_path_once() -> None:
    """A secret that is not set is one issue at the first place it is referenced, saying how to set it."""
    raw = _config({"type": "bearer", "token": SecretRef("not_set_anywhere")},
                  headers={"X-Key": SecretRef("not_set_anywhere")})
    assert _issues(raw) == [
        "client.auth.token: secret 'not_set_anywhere' is not set: export NOT_SET_ANYWHERE=... "
        "or add it to .dlt/secrets.toml"]


def test_missing_secret_in_a_header_names_the_header_path() -> None:
    """The path of a secret in an endpoint's headers is the header's config path."""
    assert _issues(_config(headers={"X-Key": SecretRef("not_set_anywhere", "Key {}")})) == [
        "resources[0] (r).endpoint.headers.X-Key: secret 'not_set_anywhere' is not set: export "
        "NOT_SET_ANYWHERE=... or add it to .dlt/secrets.toml"]


def test_credentials_come_from_dlt_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bearer block without a token reads it from dlt's config sections, as dlt's rest_api does."""
    monkeypatch.setenv("SOURCES__REST_API__CREDENTIALS__TOKEN", "env-tok")
    config = resolve(parse(_config("bearer")))
    assert dict(config.resources[0].endpoint.auth.params) == {"token": "env-tok"}  # type: ignore[union-attr]


def test_credentials_from_the_given_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    """``sections`` chooses the dlt config sections credentials are read from."""
    monkeypatch.setenv("SOURCES__MINE__CREDENTIALS__TOKEN", "mine-tok")
    config = resolve(parse(_config("bearer")), sections=("sources", "mine", "mine"))
    assert dict(config.resources[0].endpoint.auth.params) == {"token": "mine-tok"}  # type: ignore[union-attr]


def test_missing_credentials_are_reported_with_their_path() -> None:
    """A required credential found neither in the config nor in dlt's config is an issue at its path."""
    assert _issues(_config({"type": "http_basic", "password": "p"}, auth={"type": "bearer"})) == [
        "client.auth.username: required for http_basic auth",
        "resources[0] (r).endpoint.auth.token: required for bearer auth"]


def test_auth_object_left_unresolved_is_reported() -> None:
    """A dlt auth object without its credentials is an issue at its auth path."""
    messages = _issues(_config(BearerTokenAuth()))
    assert len(messages) == 1
    assert messages[0].startswith("client.auth: the auth object's credentials are not set: ")


def test_resolve_is_idempotent_and_keeps_shared_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolving twice returns the same object; endpoints sharing the client's auth still share one."""
    monkeypatch.setenv("API_TOKEN", "tok-1")
    raw = {"client": {"base_url": BASE, "auth": {"token": SecretRef("api_token")}}, "resources": ["a", "b"]}
    config = resolve(parse(raw))
    assert resolve(config) is config
    first, second = (spec.endpoint.auth for spec in config.resources)
    assert first is second
    assert dict(first.params) == {"token": "tok-1"}  # type: ignore[union-attr]


def test_parse_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse gives the same config with the credential's env var unset and set; only resolve reads it."""
    unset = parse(_config("bearer"))
    monkeypatch.setenv("SOURCES__REST_API__CREDENTIALS__TOKEN", "env-tok")
    set_ = parse(_config("bearer"))
    assert unset == set_
    assert dict(set_.resources[0].endpoint.auth.params) == {}  # type: ignore[union-attr]
    assert set_.resolved is False
    assert dict(resolve(set_).resources[0].endpoint.auth.params) == {"token": "env-tok"}  # type: ignore[union-attr]


def test_parse_keeps_secret_refs_opaque(monkeypatch: pytest.MonkeyPatch) -> None:
    """A SecretRef is parsed as a value, not looked up: the exported secret is not in the parsed config."""
    monkeypatch.setenv("API_TOKEN", "tok-1")
    config = parse(_config({"token": SecretRef("api_token")}, headers={"X": SecretRef("api_token")}))
    assert dict(config.resources[0].endpoint.headers) == {"X": SecretRef("api_token")}
    assert dict(config.resources[0].endpoint.auth.params) == {"token": SecretRef("api_token")}  # type: ignore[union-attr]


def test_python_dict_secret_mapping_is_sent_as_written() -> None:
    """A dict config (never loaded from a file) has no SecretRefs: a {"secret": ...} json value stays."""
    config = resolve(parse(_config(method="POST", json={"secret": "x"})))
    assert config.resources[0].endpoint.json == {"secret": "x"}


def test_secret_values_are_not_in_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolved secret never reaches an issue raised for another problem in the same config."""
    monkeypatch.setenv("API_TOKEN", "sk_DISTINCTIVE_9")
    raw = _config({"type": "http_basic", "password": SecretRef("api_token")})
    with pytest.raises(ConfigError) as info:
        resolve(parse(raw))
    assert info.value.issues == (ConfigIssue("client.auth.username", "required for http_basic auth"),)
    assert "sk_DISTINCTIVE_9" not in str(info.value)


def test_resolve_records_every_secret_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """secret_values holds what came from secrets, auth credentials, credential-named params and headers
    (a Python config's dlt.secrets values are plain strings) and a base_url password — nothing else."""
    monkeypatch.setenv("API_TOKEN", "tok-from-secret")
    raw = _config({"type": "http_basic", "username": "user-1", "password": "pass-word-1"},
                  params={"access_key": "plain-access-key", "page_size": "100", "q": SecretRef("api_token")},
                  headers={"Authorization": "GenieKey genie-key-1", "X-Trace": "trace-1"})
    raw["client"]["base_url"] = "https://reader:url-password@api.example.com/v1/"
    resolved = resolve(parse(raw))
    assert resolved.secret_values == {
        "tok-from-secret", "plain-access-key", "GenieKey genie-key-1", "genie-key-1", "pass-word-1",
        "dXNlci0xOnBhc3Mtd29yZC0x", "url-password",
    }


def test_with_base_url_records_its_password() -> None:
    """A --base-url with user:password@ adds the password to the run's secrets."""
    config = resolve(parse(_config())).with_base_url("https://me:over-ride-pw@api.example.com/")
    assert "over-ride-pw" in config.secret_values
