"""The columnar path gathers pages into Arrow tables without holding dlt on one resource: while its next page
is not fetched yet a resource yields dlt's "nothing now", so every resource's requests are under way together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dlt

import restloom
from restloom.testing import serve
from tests.integration.configs import persona_paged

NAMES = ("accounts", "cases", "events")


def _config(api: Any) -> dict[str, Any]:
    return persona_paged(api, NAMES, limit=10)


def test_every_resource_starts_before_any_finishes_on_the_columnar_path(tmp_path: Path) -> None:
    """Three resources of seven requests each (six pages of 10 and the empty one), 200 ms a request, so each
    takes 1.4 s at least: each resource's first request reaches the server before any resource's last one,
    every table is exact, and the pages went as Arrow tables. Gathering a whole resource before handing it
    on would serialise them."""
    with serve("persona", size=60, seed=3, latency_ms=200) as api:
        source = restloom.rest_api_source(_config(api))
        pipeline = dlt.pipeline(pipeline_name="streaming", pipelines_dir=str(tmp_path / "pipelines"),
                                destination=dlt.destinations.duckdb(str(tmp_path / "streaming.duckdb")),
                                dataset_name="data")
        pipeline.run(source)
        log = [r for r in api.requests if r.path.rsplit("/", 1)[-1] in NAMES]
        truth = {name: sorted(r["id"] for r in api.records(name)) for name in NAMES}
    per_resource = {name: [r.at for r in log if r.path.endswith(name)] for name in NAMES}
    assert {name: len(times) for name, times in per_resource.items()} == dict.fromkeys(NAMES, 7)
    assert max(times[0] for times in per_resource.values()) < min(times[-1] for times in per_resource.values())
    report = restloom.report_of(source)
    assert {name: report.stats(name).path for name in NAMES} == dict.fromkeys(NAMES, "columnar")
    with pipeline.sql_client() as client:
        for name in NAMES:
            ids = sorted(row[0] for row in client.execute_sql(f"SELECT id FROM {name}"))
            assert ids == truth[name]
