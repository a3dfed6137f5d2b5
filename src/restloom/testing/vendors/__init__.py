"""The registry of simulated vendors, in ``API_NAMES`` order.

Each vendor module imports only ``restloom.testing``'s own building blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from restloom.testing.vendor import Vendor
from restloom.testing.vendors.easypost import EASYPOST
from restloom.testing.vendors.generic import GENERIC
from restloom.testing.vendors.ledger import LEDGER
from restloom.testing.vendors.opsgenie import OPSGENIE
from restloom.testing.vendors.persona import PERSONA
from restloom.testing.vendors.yousign import YOUSIGN
from restloom.testing.vendors.zendesk_talk import ZENDESK_TALK

__all__ = ["VENDORS"]

VENDORS: Mapping[str, Vendor] = MappingProxyType(
    {v.name: v for v in (PERSONA, OPSGENIE, EASYPOST, YOUSIGN, ZENDESK_TALK, GENERIC, LEDGER)}
)
