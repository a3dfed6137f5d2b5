"""Seeds 001 (Opsgenie), 002 (EasyPost) and 003 (Yousign) run as written into DuckDB."""

from __future__ import annotations

from pathlib import Path

from restloom.testing import serve
from tests.conftest import Sync, key_checksum, table_rows
from tests.seeds import seed_config


def _assert_lands(result, api, resources: tuple[str, ...], key: str = "id") -> None:  # type: ignore[no-untyped-def]
    for name in resources:
        truth = api.records(name)
        keys = [row[0] for row in table_rows(result, name, key)]
        assert len(keys) == len(truth), name
        assert key_checksum(keys) == key_checksum(r[key] for r in truth), name


OPSGENIE = ("users", "teams", "services", "integrations", "incidents", "alerts")


def test_opsgenie_seed_follows_next_urls(run_sync: Sync, tmp_path: Path) -> None:
    """Opsgenie's paging.next URLs are followed as is; unpaged lists stop after one page."""
    with serve("opsgenie", size=45, seed=3) as api:
        result = run_sync(seed_config("opsgenie", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path))
        _assert_lands(result, api, OPSGENIE)
        users = [(r.query.get("offset"), r.query.get("limit"), r.auth) for r in api.requests if r.path == "/v2/users"]
        teams = [r.query for r in api.requests if r.path == "/v2/teams"]
    assert result.ok
    assert users == [(None, None, "seed"), ("20", "20", "seed"), ("40", "20", "seed")]
    assert teams == [{}]


EASYPOST = ("batches", "addresses", "trackers", "end_shippers", "webhooks", "users_children", "carrier_accounts",
            "api_keys")


def test_easypost_seed_last_id_cursor_and_root_selectors(run_sync: Sync, tmp_path: Path) -> None:
    """EasyPost: before_id is the last record's id, limit is sent, [] selects the root; carriers fail on 'id'."""
    with serve("easypost", size=25, seed=4) as api:
        result = run_sync(seed_config("easypost", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path))
        _assert_lands(result, api, EASYPOST)
        truth = api.records("batches")
        batches = [r.query for r in api.requests if r.path == "/v2/batches"]
        auth_forms = {r.auth for r in api.requests}
    assert batches == [{"limit": "10"}, {"limit": "10", "before_id": truth[19]["id"]}]
    assert auth_forms == {"seed"}
    [failed] = result.report.failed
    assert failed.name == "metadata_carriers"
    assert failed.error == (
        "primary key 'id' (from resource_defaults) is missing from its records (fields: name, human_readable, "
        "service_levels, predefined_packages); set primary_key on the resource to a field they carry")


YOUSIGN = ("signature_requests", "contacts", "users", "workspaces", "electronic_seal_images", "templates", "labels")


def test_yousign_seed_followers_land_with_their_parent_id(run_sync: Sync, tmp_path: Path) -> None:
    """Every follower of every signature request lands once, carrying its request's id (implicit parent)."""
    with serve("yousign", size=23, seed=5) as api:
        config = seed_config("yousign", base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
        result = run_sync(config, pipeline_name="yousign")
        _assert_lands(result, api, YOUSIGN)
        followers = api.children("signature_requests_followers")
        follower_paths = [r.path for r in api.requests if r.path.endswith("/followers")]
        again = run_sync(config, pipeline_name="yousign")
    expected = sorted((parent, f["email"]) for parent, items in followers.items() for f in items)
    landed = sorted(table_rows(result, "signature_requests_followers", "_signature_requests_id, email"))
    assert landed == expected
    assert len(expected) > 23  # several followers per request on average: the fan-out is real
    assert sorted(follower_paths) == sorted(f"/v3/signature_requests/{p}/followers" for p in followers)
    assert sorted(table_rows(again, "signature_requests_followers", "_signature_requests_id, email")) == expected
    assert result.report.notices == [
        "resource 'signature_requests_followers': {sign_req} is taken from the 'id' of each 'signature_requests' "
        "record (implicit parent)"]
    assert result.report.stats("signature_requests_followers").warnings == [
        "primary key 'id' (from resource_defaults) is missing from its records; merging on "
        "_signature_requests_id, email, locale, follower_link instead (set primary_key on the resource to choose)"]


def test_every_seed_twice_leaves_no_duplicates(run_sync: Sync, tmp_path: Path) -> None:
    """Each seed run twice into the same pipeline: every table holds each key once (merge on id)."""
    for api_name in ("opsgenie", "easypost", "zendesk_talk"):
        with serve(api_name, size=15, seed=9, export_page_size=5) as api:
            config = seed_config(api_name, base_url=api.base_url, secrets=api.secrets, tmp_path=tmp_path)
            run_sync(config, pipeline_name=f"twice_{api_name}")
            again = run_sync(config, pipeline_name=f"twice_{api_name}")
        assert again.landed, api_name
        for name in again.landed:
            counts = table_rows(again, name, "COUNT(*), COUNT(DISTINCT id)")
            assert counts[0][0] == counts[0][1], (api_name, name, counts)
