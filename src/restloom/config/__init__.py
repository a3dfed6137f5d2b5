"""Config in, frozen typed models out: ``parse`` a dict (or ``load_file`` then parse), then ``resolve``
its secrets and auth credentials before it runs.

Everything a config says is checked and compiled here, once: shorthands expanded, expressions and
selectors compiled, response actions compiled, every problem collected with its config path; ``parse``
does no I/O (``load_file`` reads the file, ``resolve`` reads secrets). It imports only the shared
modules (``errors``, ``text``, ``expressions``) and dlt's dialect facts (paginator and auth classes),
never the HTTP client, the engine, the dlt adapter, the catalog or the CLI.
"""

from restloom.config.files import load_file
from restloom.config.models import Config, EndpointSpec, PaginatorSpec, ResourceSpec, SecretRef
from restloom.config.parse import parse
from restloom.config.secrets import resolve

__all__ = ["Config", "EndpointSpec", "PaginatorSpec", "ResourceSpec", "SecretRef", "load_file", "parse", "resolve"]
