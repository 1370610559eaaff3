"""Invoice test helpers: valid GSTINs, and a shop registered for GST in Karnataka."""
from __future__ import annotations

from sweetshop.extensions import db
from sweetshop.services.gst import gstin_check_character
from sweetshop.services.shop import get_settings


def valid_gstin(state: str = "29", pan: str = "ABCDE1234F") -> str:
    first14 = f"{state}{pan}1Z"
    return first14 + gstin_check_character(first14)


SHOP_GSTIN = valid_gstin("29", "AAGCM1234K")
BUYER_GSTIN = valid_gstin("29", "BBBPS5678L")


def register_shop(registration: str = "regular", **values):
    settings = get_settings()
    settings.name = "Mithaas Sweets"
    settings.gst_registration = registration
    settings.gstin = SHOP_GSTIN if registration != "none" else ""
    settings.legal_name = "Mithaas Foods Private Limited"
    settings.state_code = "29"
    settings.address = "14 Sampige Road, Malleshwaram\nBengaluru 560003"
    settings.fssai_number = "11223344556677"
    settings.invoice_prefix = "MS"
    for key, value in values.items():
        setattr(settings, key, value)
    db.session.commit()
    return settings
