"""``RestloomResource``: where restloom's Dagster assets load — destination, dataset, pipelines directory.

Its fields are Dagster configuration (shown in the UI and in run config), so none holds a secret: a
destination's credentials follow dlt's conventions (``DESTINATION__POSTGRES__CREDENTIALS``,
``.dlt/secrets.toml``), and an API's secrets the config's own (``{secret: NAME}`` read from the
environment variable ``NAME``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dlt
from dagster import ConfigurableResource

from restloom.adapter.lock import pipeline_lock
from restloom.adapter.sync import SyncResult, sync
from restloom.config.models import Config

DUCKDB_WAIT_SECONDS = 3600.0


class RestloomResource(ConfigurableResource):
    """The destination restloom's assets load into (default: a DuckDB file per source).

    ``destination``: a dlt destination name (``duckdb``, ``postgres``, ...); with ``duckdb`` the file is
    ``duckdb_path`` (default ``<source>.duckdb`` in ``pipelines_dir`` or the working directory).
    ``dataset_name``: the dataset (schema) of a source's tables (default ``<source>_data``); each tenant
    loads into its own, ``<dataset>_<tenant>``. ``pipelines_dir``: where dlt keeps pipeline state
    (dlt's default when unset); each partition has its own pipeline there.
    """

    destination: str = "duckdb"
    duckdb_path: str | None = None
    dataset_name: str | None = None
    pipelines_dir: str | None = None

    def dataset_for(self, source: str, tenant: str | None = None) -> str:
        """The dataset a source's (and a tenant's) tables land in."""
        base = self.dataset_name or f"{source}_data"
        return f"{base}_{tenant}" if tenant else base

    def duckdb_file(self, source: str) -> Path:
        """The DuckDB file ``source`` loads into (with the ``duckdb`` destination)."""
        return Path(self.duckdb_path or Path(self.pipelines_dir or ".") / f"{source}.duckdb")

    def destination_for(self, source: str) -> Any:
        """The dlt destination of ``source``."""
        if self.destination != "duckdb":
            return self.destination
        return dlt.destinations.duckdb(str(self.duckdb_file(source)))

    def destination_lock(self, source: str) -> Callable[[], AbstractContextManager[Any]] | None:
        """A DuckDB file takes one writing process at a time: partitions materialized by several processes at
        once extract in parallel and wait for each other (an OS file lock beside the file, up to
        ``DUCKDB_WAIT_SECONDS``) only where they open it. None for other destinations."""
        if self.destination != "duckdb":
            return None
        file = self.duckdb_file(source).resolve()
        return lambda: pipeline_lock(file.name, str(file.parent), wait=DUCKDB_WAIT_SECONDS)

    def sync(self, config: Config, *, source: str, pipeline_name: str, resources: list[str] | None = None,
             tenant: str | None = None) -> SyncResult:
        """``restloom.sync`` of ``config`` (its ``resources``) through the pipeline ``pipeline_name``."""
        return sync(config, pipeline_name=pipeline_name, destination=self.destination_for(source),
                    dataset_name=self.dataset_for(source, tenant), resources=resources,
                    pipelines_dir=self.pipelines_dir, source_name=source,
                    destination_lock=self.destination_lock(source))
