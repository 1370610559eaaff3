"""Delivering: the handover code and its limits (also tried in parallel), money at the
door, refused orders, the owner's recorded override, and who may act on which order."""
from __future__ import annotations

import pytest

from sweetshop.admin import Actor
from sweetshop.extensions import db
from sweetshop.models import AuditEvent, Order, OrderStatus, PaymentStatus, StockMovement
from sweetshop.services import delivery
from sweetshop.services.errors import InvalidInput, NotFound
from sweetshop.services.orders import change_status
from tests.concurrency import race
from tests.factories import make_order, make_product

S = OrderStatus


@pytest.fixture
def people(ctx, staff):
    return {role: Actor(name, staff[role], role.rstrip("2")) for role, name in (
        ("owner", "Meera Shah"), ("counter", "Kiran Das"), ("delivery", "Ravi Kumar"),
        ("delivery2", "Sunil Rao"))}


@pytest.fixture
def out(people):
    """A cash order (₹1,160) out for delivery with Ravi."""
    kaju = make_product("Kaju Katli", stock=4000)
    order = make_order((kaju, "500 g", 2))
    change_status(order.id, S.ACCEPTED, people["counter"])
    change_status(order.id, S.OUT_FOR_DELIVERY, people["counter"],
                  assign_to=people["delivery"].staff_id)
    return fresh(order.id)


def fresh(order_id) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


def test_every_order_gets_a_four_digit_code_sent_in_the_out_for_delivery_message(out):
    from sweetshop.models import Notification
    assert len(out.handover_code) == 4 and out.handover_code.isdigit()
    body = db.session.query(Notification).filter_by(
        order_id=out.id, kind="order_out_for_delivery").one().body
    assert f"Your handover code is {out.handover_code}" in body
    assert out.assigned_to_id == db.session.get(Order, out.id).assigned_to_id


def test_a_wrong_code_never_delivers_and_the_right_one_collects_the_cash(out, people):
    ravi = people["delivery"]
    with pytest.raises(delivery.WrongHandoverCode, match="4 tries left"):
        delivery.deliver(out.id, actor=ravi, code=wrong(out.handover_code), method="cash")
    order = fresh(out.id)
    assert order.status is S.OUT_FOR_DELIVERY and order.handover_attempts == 1
    assert order.payment_status is PaymentStatus.UNPAID
    delivery.deliver(out.id, actor=ravi, code=order.handover_code, method="cash")
    order = fresh(out.id)
    assert order.status is S.DELIVERED and order.payment_status is PaymentStatus.PAID
    assert (order.collected_paise, order.collected_method, order.collected_by_id) == (
        order.total_paise, "cash", ravi.staff_id)
    assert order.history[-1].note.endswith("Cash collected ₹1,160 by Ravi Kumar")
    assert order.history[-1].actor == "Ravi Kumar"


def test_upi_at_the_door_needs_the_reference_and_is_recorded(out, people):
    ravi = people["delivery"]
    with pytest.raises(InvalidInput, match="UPI reference"):
        delivery.deliver(out.id, actor=ravi, code=out.handover_code, method="upi")
    assert fresh(out.id).handover_attempts == 0  # a missing choice costs no try
    delivery.deliver(out.id, actor=ravi, code=out.handover_code, method="upi",
                     upi_reference="4321")
    order = fresh(out.id)
    assert (order.payment_status, order.collected_method, order.upi_reference) == (
        PaymentStatus.PAID, "upi", "4321")


def test_five_wrong_codes_lock_the_order_even_for_the_right_code(out, people):
    ravi = people["delivery"]
    for _ in range(delivery.MAX_CODE_TRIES - 1):
        with pytest.raises(delivery.WrongHandoverCode):
            delivery.deliver(out.id, actor=ravi, code=wrong(out.handover_code), method="cash")
    with pytest.raises(delivery.HandoverLocked, match="last try"):
        delivery.deliver(out.id, actor=ravi, code=wrong(out.handover_code), method="cash")
    with pytest.raises(delivery.HandoverLocked):
        delivery.deliver(out.id, actor=ravi, code=fresh(out.id).handover_code, method="cash")
    order = fresh(out.id)
    assert order.status is S.OUT_FOR_DELIVERY and order.handover_attempts == 5
    # Only the owner overrides, with a reason, and it is recorded.
    with pytest.raises(InvalidInput):
        delivery.deliver(out.id, actor=people["counter"], override_reason="Customer known")
    delivery.deliver(out.id, actor=people["owner"], method="cash",
                     override_reason="Customer's phone died; I know her")
    order = fresh(out.id)
    assert order.status is S.DELIVERED
    assert order.history[-1].note.startswith(
        "Delivered without the handover code: Customer's phone died; I know her")
    assert order.history[-1].actor == "Meera Shah"


def test_codes_tried_in_parallel_are_counted_and_stop_at_the_limit(app, out, people):
    ravi, order_id, bad = people["delivery"], out.id, wrong(out.handover_code)
    db.session.remove()

    def attempt():
        try:
            delivery.deliver(order_id, actor=ravi, code=bad, method="cash")
        except delivery.HandoverLocked:
            return "locked"
        except delivery.WrongHandoverCode:
            return "wrong"
        return "delivered"
    results = race(app, [attempt] * 10)
    assert sorted(results) == ["locked"] * 6 + ["wrong"] * 4, results
    assert fresh(order_id).handover_attempts == delivery.MAX_CODE_TRIES


def test_the_right_code_from_two_phones_at_once_delivers_and_collects_once(app, out, people):
    ravi, order_id, code = people["delivery"], out.id, out.handover_code
    db.session.remove()

    def attempt():
        try:
            delivery.deliver(order_id, actor=ravi, code=code, method="cash")
            return "delivered"
        except Exception as exc:
            return type(exc).__name__
    results = race(app, [attempt] * 4)
    assert sorted(results) == ["InvalidTransition"] * 3 + ["delivered"]
    order = fresh(order_id)
    assert [c.to_status for c in order.history].count(S.DELIVERED) == 1
    assert order.collected_paise == order.total_paise


def test_a_delivery_person_cannot_touch_someone_elses_order(out, people):
    with pytest.raises(NotFound):
        delivery.deliver(out.id, actor=people["delivery2"], code=out.handover_code,
                         method="cash")
    assert fresh(out.id).handover_attempts == 0


def test_the_admin_delivered_button_needs_the_code_too(out, people):
    with pytest.raises(InvalidInput, match="handover code"):
        change_status(out.id, S.DELIVERED, people["owner"])
    assert fresh(out.id).status is S.OUT_FOR_DELIVERY


def test_refused_at_the_door_then_the_owner_chooses_wastage(out, people):
    delivery.record_return(out.id, actor=people["delivery"], reason="refused",
                           note="Said they never ordered")
    order = fresh(out.id)
    assert order.status is S.RETURNED and order.payment_status is PaymentStatus.UNPAID
    product_id = order.items[0].product_id
    delivery.decide_return(out.id, decision="wastage", actor=people["owner"])
    moves = [(m.change, m.reason) for m in db.session.query(StockMovement).filter_by(
        order_id=out.id).order_by(StockMovement.id)]
    assert moves == [(-1000, "sale"), (1000, "order returned"), (-1000, "wastage")]
    from sweetshop.models import Product
    assert db.session.get(Product, product_id).stock == 3000
    with pytest.raises(Exception, match="already dealt with"):
        delivery.decide_return(out.id, decision="restock", actor=people["owner"])


def test_returned_sweets_can_go_back_to_stock(out, people):
    delivery.record_return(out.id, actor=people["delivery"], reason="unreachable")
    delivery.decide_return(out.id, decision="restock", actor=people["owner"])
    from sweetshop.models import Product
    assert db.session.get(Product, fresh(out.id).items[0].product_id).stock == 4000


def test_every_step_is_in_the_audit_trail_under_the_persons_id(out, people):
    delivery.deliver(out.id, actor=people["delivery"], code=out.handover_code, method="cash")
    rows = {(e.kind, e.staff_id) for e in db.session.query(AuditEvent)}
    assert ("status", people["counter"].staff_id) in rows
    assert ("status", people["delivery"].staff_id) in rows


def test_the_delivery_list_shows_only_my_orders_in_the_order_sent_out(out, people):
    second = make_order((make_product(), "250 g", 1), phone="+919876500002")
    change_status(second.id, S.ACCEPTED, people["counter"])
    change_status(second.id, S.OUT_FOR_DELIVERY, people["counter"],
                  assign_to=people["delivery2"].staff_id)
    assert [o.id for o in delivery.assigned_orders(people["delivery"].staff_id)] == [out.id]


def test_the_upi_qr_code_is_an_svg_of_the_exact_amount():
    uri = delivery.upi_uri("mithaas@okhdfcbank", "Mithaas Sweets", 116050, 1001)
    assert uri == ("upi://pay?pa=mithaas@okhdfcbank&pn=Mithaas%20Sweets&am=1160.50&cu=INR"
                   "&tn=Order%201001")
    svg = delivery.upi_qr_svg(uri)
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
