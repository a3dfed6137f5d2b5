"""The public surface of restloom.testing is what the team codes against."""

from __future__ import annotations

from restloom import testing
from restloom.testing.vendors import VENDORS


def test_public_names_and_api_names() -> None:
    """__all__ is sorted and complete; API_NAMES: the five vendors, the generic API and the ledger, registry order."""
    assert testing.__all__ == sorted(testing.__all__)
    assert all(hasattr(testing, name) for name in testing.__all__)
    assert testing.API_NAMES == ("persona", "opsgenie", "easypost", "yousign", "zendesk_talk", "generic", "ledger")
    assert tuple(VENDORS) == testing.API_NAMES


def test_base_urls_join_seed_paths_like_dlt() -> None:
    """base_url ends with the vendor's base path; root_url is the bare server address."""
    expected = {"persona": "", "opsgenie": "", "zendesk_talk": "", "easypost": "/v2/", "yousign": "/v3/"}
    for name, tail in expected.items():
        api = testing.serve(name, size=1)
        with api:
            assert api.base_url == api.root_url + tail
            assert api.root_url == f"http://127.0.0.1:{api.port}"
