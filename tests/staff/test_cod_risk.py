"""COD risk: refusals counted per number, the block list, the COD fee / prepaid discount,
and a first cash order's confirmation."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sweetshop.admin import Actor
from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, utcnow
from sweetshop.services import cart as cart_service
from sweetshop.services import cod_risk, delivery
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.errors import InvalidInput, InvalidTransition
from sweetshop.services.orders import change_status
from sweetshop.services.shop import get_settings
from tests.factories import make_order, make_product, variant_named

S = OrderStatus
PHONE = "+919876512345"


@pytest.fixture
def people(ctx, staff):
    return {"owner": Actor("Meera Shah", staff["owner"], "owner"),
            "ravi": Actor("Ravi Kumar", staff["delivery"], "delivery")}


@pytest.fixture
def kaju(ctx):
    return make_product("Kaju Katli", stock=20000)


def settings(**values):
    row = get_settings()
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()


def refused_order(people, kaju):
    order = make_order((kaju, "500 g", 1), phone=PHONE)
    change_status(order.id, S.ACCEPTED, people["owner"])
    change_status(order.id, S.OUT_FOR_DELIVERY, people["owner"],
                  assign_to=people["ravi"].staff_id)
    delivery.record_return(order.id, actor=people["ravi"], reason="refused")


def try_cash(kaju, method="cod"):
    from sweetshop.models import PaymentMethod
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "500 g").id, 1)
    return place_order(token, CustomerDetails(
        name="Asha", phone=PHONE, address="12 MG Road, Bengaluru", pincode="560038",
        payment_method=PaymentMethod(method)), new_idempotency_key())


def test_after_two_refusals_the_number_can_only_pay_online_and_nothing_is_written(
        people, kaju):
    refused_order(people, kaju)
    assert cod_risk.cash_order_counts(PHONE) == {"delivered": 0, "refused": 1, "cancelled": 0}
    try_cash(kaju)  # one refusal: still allowed
    refused_order(people, kaju)
    before = db.session.query(Order).count()
    with pytest.raises(InvalidInput) as refusal:
        try_cash(kaju)
    assert refusal.value.message == ("Cash on delivery is not available for this number. "
                                     "Please pay online.")
    assert db.session.query(Order).count() == before


def test_the_refusal_limit_is_a_setting(people, kaju):
    settings(cod_max_refusals=1)
    refused_order(people, kaju)
    with pytest.raises(InvalidInput, match="not available for this number"):
        try_cash(kaju)
    settings(cod_max_refusals=0)  # 0: never
    try_cash(kaju)


def test_a_blocked_number_is_refused_with_the_same_words(people, kaju):
    cod_risk.block_phone("98765 12345", "Fake orders in March", people["owner"])
    with pytest.raises(InvalidInput, match="^Cash on delivery is not available"):
        try_cash(kaju)
    cod_risk.unblock_phone(PHONE, people["owner"])
    try_cash(kaju)


def test_the_cod_fee_is_in_the_total(people, kaju):
    settings(cod_fee_paise=2000)
    order = try_cash(kaju)
    assert (order.subtotal_paise, order.payment_adjustment_paise, order.total_paise) == (
        58000, 2000, 60000)


def test_the_prepaid_discount_is_in_an_online_total(people, kaju, monkeypatch):
    from sweetshop.services import checkout
    monkeypatch.setattr(checkout, "online_payment_enabled", lambda: True)
    settings(prepaid_discount_paise=1000)
    order = try_cash(kaju, "online")
    assert (order.payment_adjustment_paise, order.total_paise) == (-1000, 57000)
    with pytest.raises(InvalidInput, match="not both"):
        cod_risk.update_cod_settings(cod_max_paise=0, cod_confirm_first=False,
                                     cod_autocancel_hours=0, cod_max_refusals=2,
                                     cod_fee_paise=100, prepaid_discount_paise=100, upi_vpa="",
                                     actor=people["owner"])


def test_a_first_cash_order_waits_for_a_yes_before_the_kitchen(people, kaju):
    settings(cod_confirm_first=True)
    order = try_cash(kaju)
    assert order.cod_confirmation == "pending"
    assert [o.id for o in cod_risk.unconfirmed_orders()] == [order.id]
    with pytest.raises(InvalidTransition, match="not confirmed"):
        change_status(order.id, S.ACCEPTED, people["owner"])
    assert cod_risk.confirm_latest_by_phone(PHONE).id == order.id  # WhatsApp YES
    assert not cod_risk.confirm(order.id, "customer", "link")       # once only
    change_status(order.id, S.ACCEPTED, people["owner"])


def test_an_unconfirmed_first_order_is_cancelled_after_the_owners_hours(people, kaju):
    settings(cod_confirm_first=True, cod_autocancel_hours=2)
    order = try_cash(kaju)
    assert cod_risk.cancel_unconfirmed() == 0
    assert cod_risk.cancel_unconfirmed(now=utcnow() + timedelta(hours=3)) == 1
    db.session.expire_all()
    assert db.session.get(Order, order.id).status is S.CANCELLED


def test_a_number_with_a_delivered_cash_order_needs_no_confirmation(people, kaju):
    order = make_order((kaju, "500 g", 1), phone=PHONE)
    change_status(order.id, S.ACCEPTED, people["owner"])
    change_status(order.id, S.OUT_FOR_DELIVERY, people["owner"],
                  assign_to=people["ravi"].staff_id)
    delivery.deliver(order.id, actor=people["ravi"], code=db.session.get(
        Order, order.id).handover_code, method="cash")
    settings(cod_confirm_first=True)
    assert try_cash(kaju).cod_confirmation == ""
