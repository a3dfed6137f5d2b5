"""Config in, frozen typed models out: ``parse`` a dict, or ``load_file`` then parse.

Everything a config says is checked and compiled here, once: shorthands expanded, expressions and
selectors compiled, every problem collected with its config path. It imports only the shared modules
(``errors``, ``text``, ``expressions``) and dlt's dialect facts (paginator and auth classes), never the
HTTP client, the engine, the dlt adapter, the catalog or the CLI.
"""

from restloom.config.files import load_file, resolve_secrets
from restloom.config.models import Config, EndpointSpec, PaginatorSpec, ResourceSpec
from restloom.config.parse import parse

__all__ = ["Config", "EndpointSpec", "PaginatorSpec", "ResourceSpec", "load_file", "parse", "resolve_secrets"]
