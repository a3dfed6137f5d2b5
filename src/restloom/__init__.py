"""restloom: declarative REST API descriptions in, reliable, fast, incremental syncs out.

The public surface, chosen on purpose and listed in ``__all__``: what a user of the library and the
command line need. It imports from every layer; nothing inside restloom imports it.
"""

from restloom.adapter.lock import pipeline_lock
from restloom.adapter.source import report_of, rest_api_source
from restloom.errors import ConfigError, ConfigIssue, PipelineBusy, ResourceError, RestloomError

__all__ = ["ConfigError", "ConfigIssue", "PipelineBusy", "ResourceError", "RestloomError", "pipeline_lock", "report_of",
           "rest_api_source"]
