"""Secret references in YAML/JSON configs are marked as SecretRef when loaded, never read."""

from __future__ import annotations

from pathlib import Path

import pytest

from restloom.config import SecretRef, load_file
from restloom.config.files import mark_secrets

CATALOG = Path(__file__).resolve().parents[2] / "src" / "restloom" / "catalog"


def test_secret_reference_and_format_become_secret_refs() -> None:
    """{secret: NAME} is SecretRef(NAME); with format the template rides along; other mappings stay."""
    raw = {"auth": {"name": "Authorization", "api_key": {"secret": "genie_key", "format": "GenieKey {}"}},
           "user": {"secret": "zendesk_email", "format": "{}/token"}, "plain": {"secret": "genie_key"},
           "list": [{"secret": "genie_key"}], "other": {"secret": "genie_key", "x": 1}}
    assert mark_secrets(raw) == {
        "auth": {"name": "Authorization", "api_key": SecretRef("genie_key", "GenieKey {}")},
        "user": SecretRef("zendesk_email", "{}/token"), "plain": SecretRef("genie_key"),
        "list": [SecretRef("genie_key")], "other": {"secret": "genie_key", "x": 1}}


def test_mark_secrets_does_not_mutate_its_input() -> None:
    """The raw dict a caller passes is copied, not changed."""
    raw = {"token": {"secret": "t"}, "items": [{"secret": "t"}]}
    mark_secrets(raw)
    assert raw == {"token": {"secret": "t"}, "items": [{"secret": "t"}]}


def test_secret_ref_render() -> None:
    """A SecretRef stands for the secret itself, or the secret placed where {} stands in its format."""
    assert SecretRef("k").render("v1") == "v1"
    assert SecretRef("k", "GenieKey {}").render("v1") == "GenieKey v1"


@pytest.mark.parametrize("exported", [None, "opsgenie-key-1"])
def test_load_file_reads_no_secret(exported: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a file reads the file only: the secret is a reference whether or not it is set."""
    if exported is None:
        monkeypatch.delenv("OPSGENIE_API_KEY", raising=False)
    else:
        monkeypatch.setenv("OPSGENIE_API_KEY", exported)
    raw = load_file(CATALOG / "opsgenie.yaml")
    assert raw["client"]["auth"] == {"type": "api_key", "name": "Authorization", "location": "header",
                                     "api_key": SecretRef("opsgenie_api_key", "GenieKey {}")}


def test_python_config_written_for_restloom_is_read_back_unpatched(tmp_path: Path) -> None:
    """A file calling restloom's own rest_api_source (extended dialect) yields its config; restloom's
    rest_api_source is the real one while the file runs and after."""
    import restloom

    original = restloom.rest_api_source
    file = tmp_path / "mine.py"
    file.write_text(
        "import restloom\n"
        "from restloom import rest_api_source\n"
        "assert rest_api_source is restloom.adapter.source.rest_api_source\n"
        "config_dict = {'client': {'base_url': 'https://api.example.com/v1/'}, 'resources': [{'name': 'items',\n"
        "    'endpoint': {'paginator': {'type': 'cursor', 'cursor_param': 'after', 'limit': 5,\n"
        "                               'cursor_path': 'meta.next'}}}]}\n"
        "source = rest_api_source(config_dict)\n",
        encoding="utf-8",
    )
    loaded = load_file(file)
    assert loaded["resources"][0]["endpoint"]["paginator"]["limit"] == 5
    assert loaded["client"]["base_url"] == "https://api.example.com/v1/"
    assert restloom.rest_api_source is original
