"""restloom: declarative REST API descriptions in, reliable, fast, incremental syncs out."""

from restloom.adapter.source import report_of, rest_api_source
from restloom.errors import ConfigError, ConfigIssue, ResourceError, RestloomError

__all__ = ["ConfigError", "ConfigIssue", "ResourceError", "RestloomError", "report_of", "rest_api_source"]
