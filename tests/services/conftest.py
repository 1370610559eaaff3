"""Helpers for service tests: the shop's settings and a customer who passed the checkout form."""
from __future__ import annotations

import pytest

from sweetshop.extensions import db
from sweetshop.services.checkout import CustomerDetails
from sweetshop.services.shop import get_settings

CUSTOMER = CustomerDetails(name="Asha Rao", phone="+919876543210",
                           address="12 MG Road, Indiranagar, Bengaluru", pincode="560038",
                           note="Please ring twice")


@pytest.fixture
def customer() -> CustomerDetails:
    return CUSTOMER


@pytest.fixture
def shop_settings(ctx):
    """Change the shop's settings row and commit: shop_settings(delivery_fee_paise=4000)."""

    def update(**values):
        settings = get_settings()
        for key, value in values.items():
            setattr(settings, key, value)
        db.session.commit()
        return settings

    return update

