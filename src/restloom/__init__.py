"""restloom: declarative REST API descriptions in, reliable, fast, incremental syncs out."""

from restloom.errors import ConfigError, ConfigIssue, ResourceError, RestloomError
from restloom.source import rest_api_source, report_of

__all__ = ["ConfigError", "ConfigIssue", "ResourceError", "RestloomError", "report_of", "rest_api_source"]
