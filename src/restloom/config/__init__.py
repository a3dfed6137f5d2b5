"""Config in, frozen typed models out: ``parse`` a dict, or ``load_file`` then parse."""

from restloom.config.files import load_file, resolve_secrets
from restloom.config.models import Config, EndpointSpec, PaginatorSpec, ResourceSpec
from restloom.config.parse import parse

__all__ = ["Config", "EndpointSpec", "PaginatorSpec", "ResourceSpec", "load_file", "parse", "resolve_secrets"]
