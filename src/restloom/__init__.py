"""restloom: declarative REST API descriptions in, reliable, fast, incremental syncs out."""

from restloom.errors import ConfigError, ConfigIssue, ResourceError, RestloomError

__all__ = ["ConfigError", "ConfigIssue", "ResourceError", "RestloomError"]
