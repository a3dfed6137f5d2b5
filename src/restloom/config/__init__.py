"""Config in, frozen typed models out: ``parse`` a dict (or ``load_file`` then parse), then ``resolve``
its secrets and auth credentials before it runs."""

from restloom.config.files import load_file
from restloom.config.models import Config, EndpointSpec, PaginatorSpec, ResourceSpec, SecretRef
from restloom.config.parse import parse
from restloom.config.secrets import resolve

__all__ = ["Config", "EndpointSpec", "PaginatorSpec", "ResourceSpec", "SecretRef", "load_file", "parse", "resolve"]
