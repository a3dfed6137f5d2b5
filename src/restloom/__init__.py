"""restloom: declarative REST API descriptions in, reliable, fast, incremental syncs out.

The public surface, chosen on purpose and listed in ``__all__``: what a user of the library and the
command line need — build a dlt source (``rest_api_source``), read and check a config (``load_file``,
``parse``, ``resolve``, ``compile_config``), run it into a destination (``sync``), the catalog's
connectors, the run report, and the errors to catch. It imports from every layer; nothing inside restloom
imports it.
"""

from restloom.adapter.defaults import dlt_defaults
from restloom.adapter.front import RunOptions, compile_config
from restloom.adapter.lock import pipeline_lock
from restloom.adapter.source import build_source, report_of, rest_api_source
from restloom.adapter.sync import SyncResult, sync
from restloom.catalog import catalog_names, load_connector
from restloom.config import Config, load_file, parse, resolve
from restloom.errors import ConfigError, ConfigIssue, PipelineBusy, ResourceError, ResourcesFailed, RestloomError
from restloom.report import ResourceStats, RunReport

__all__ = [
    "Config",
    "ConfigError",
    "ConfigIssue",
    "PipelineBusy",
    "ResourceError",
    "ResourceStats",
    "ResourcesFailed",
    "RestloomError",
    "RunOptions",
    "RunReport",
    "SyncResult",
    "build_source",
    "catalog_names",
    "compile_config",
    "dlt_defaults",
    "load_connector",
    "load_file",
    "parse",
    "pipeline_lock",
    "report_of",
    "resolve",
    "rest_api_source",
    "sync",
]
