"""Do you deliver to me? One pincode against the shop's list."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..formatting import ascii_digits
from ..i18n import gettext as _
from .errors import InvalidInput
from .shop import get_settings

PINCODE = re.compile(r"^[1-9][0-9]{5}$")


@dataclass(frozen=True)
class DeliveryAnswer:
    pincode: str
    delivers: bool
    served: list[str]  # the shop's pincodes, for a "no" (empty: anywhere)


def parse_pincode(raw: str | None) -> str:
    pincode = ascii_digits((raw or "").strip()).replace(" ", "")
    if not PINCODE.match(pincode):
        raise InvalidInput(_("A pincode has 6 digits, e.g. 560001."), field="pincode")
    return pincode


def check_pincode(raw: str | None) -> DeliveryAnswer:
    """Whether the shop delivers to a pincode (an empty list in settings: anywhere).
    Raises InvalidInput for something that is not a pincode. Reads only."""
    pincode = parse_pincode(raw)
    served = get_settings().pincodes
    return DeliveryAnswer(pincode=pincode, delivers=not served or pincode in served,
                          served=sorted(served))
