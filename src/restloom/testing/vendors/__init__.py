"""The registry of simulated vendors, in ``API_NAMES`` order."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from restloom.testing.vendor import Vendor
from restloom.testing.vendors.persona import PERSONA

__all__ = ["VENDORS"]

VENDORS: Mapping[str, Vendor] = MappingProxyType({v.name: v for v in (PERSONA,)})
