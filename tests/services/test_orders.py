"""The owner moving orders along: allowed transitions, refusals, history, stock on cancel,
two owners at once, and finding orders (search, status, Kolkata dates, pages)."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import (
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    Product,
    StockMovement,
    Unit,
)
from sweetshop.services.errors import InvalidInput, InvalidTransition, NotFound
from sweetshop.services.orders import change_status, list_orders
from tests.factories import deliver_order, make_order, make_product

S = OrderStatus
OWNER = "owner@mithaas.example"


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def history_of(order_id: int) -> list[tuple]:
    db.session.expire_all()
    return [(c.from_status, c.to_status, c.actor, c.note) for c in db.session.scalars(
        select(OrderStatusChange).where(OrderStatusChange.order_id == order_id)
        .order_by(OrderStatusChange.id))]


@pytest.fixture
def kaju(ctx):
    return make_product("Kaju Katli", stock=4000)


@pytest.fixture
def order(kaju):
    return make_order((kaju, "500 g", 2))


def move(order_id: int, *statuses: OrderStatus, note: str = "") -> None:
    for status in statuses:
        if status is S.DELIVERED:  # with the customer's handover code (services/delivery)
            deliver_order(order_id, OWNER)
        else:
            change_status(order_id, status, OWNER, note=note)


# --- allowed moves --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    (S.ACCEPTED, S.READY, S.OUT_FOR_DELIVERY, S.DELIVERED),
    (S.ACCEPTED, S.OUT_FOR_DELIVERY, S.DELIVERED),
    (S.ACCEPTED, S.READY, S.DELIVERED),
], ids=["via-ready-and-delivery", "straight-out-for-delivery", "picked-up-when-ready"])
def test_each_allowed_move_applies_and_is_recorded_with_who_and_note(order, path):
    previous = S.PLACED
    for status in path:
        if status is S.DELIVERED:  # delivered takes the handover code (services/delivery)
            result = deliver_order(order.id, OWNER)
            assert history_of(order.id)[-1][:3] == (previous, status, OWNER)
        else:
            result = change_status(order.id, status, OWNER, note=f"to {status.value}")
            assert history_of(order.id)[-1] == (previous, status, OWNER, f"to {status.value}")
        assert result.status is status
        previous = status
    assert fresh(Order, order.id).status is path[-1]
    assert len(history_of(order.id)) == len(path) + 1  # plus "placed" at checkout


@pytest.mark.parametrize("before", [(), (S.ACCEPTED,), (S.ACCEPTED, S.READY),
                                    (S.ACCEPTED, S.OUT_FOR_DELIVERY)],
                         ids=["placed", "accepted", "ready", "out-for-delivery"])
def test_an_order_can_be_cancelled_until_it_is_delivered(order, before):
    move(order.id, *before)
    change_status(order.id, S.CANCELLED, OWNER, note="Customer called to cancel")
    assert fresh(Order, order.id).status is S.CANCELLED
    assert history_of(order.id)[-1][1:] == (S.CANCELLED, OWNER, "Customer called to cancel")


# --- refused moves --------------------------------------------------------------------------

@pytest.mark.parametrize("before, to", [
    ((), S.READY),
    ((), S.OUT_FOR_DELIVERY),
    ((), S.DELIVERED),
    ((S.ACCEPTED,), S.DELIVERED),
    ((S.ACCEPTED, S.READY), S.ACCEPTED),
    ((S.ACCEPTED, S.OUT_FOR_DELIVERY), S.READY),
    ((S.ACCEPTED, S.READY, S.DELIVERED), S.CANCELLED),
    ((S.ACCEPTED, S.READY, S.DELIVERED), S.OUT_FOR_DELIVERY),
    ((), S.PLACED),
    ((), S.AWAITING_PAYMENT),
    ((), S.EXPIRED),
])
def test_a_move_not_allowed_from_the_current_status_is_refused_and_writes_nothing(
        order, before, to):
    move(order.id, *before)
    history = history_of(order.id)
    with pytest.raises(InvalidTransition):
        change_status(order.id, to, OWNER, note="anything")
    assert fresh(Order, order.id).status is (before[-1] if before else S.PLACED)
    assert history_of(order.id) == history


def test_a_cancelled_order_cannot_be_moved_again(order, kaju):
    change_status(order.id, S.CANCELLED, OWNER, note="Out of stock")
    for to in (S.ACCEPTED, S.CANCELLED, S.DELIVERED):
        with pytest.raises(InvalidTransition):
            change_status(order.id, to, OWNER, note="again")
    assert fresh(Product, kaju.id).stock == 4000  # the stock came back once, not twice


def test_an_order_still_awaiting_payment_cannot_be_accepted(order):
    order.status = S.AWAITING_PAYMENT
    db.session.commit()
    with pytest.raises(InvalidTransition):
        change_status(order.id, S.ACCEPTED, OWNER)


def test_the_same_move_twice_says_the_order_is_already_there(order):
    change_status(order.id, S.ACCEPTED, OWNER)
    with pytest.raises(InvalidTransition, match="This order is already accepted"):
        change_status(order.id, S.ACCEPTED, OWNER)


def test_a_stale_button_is_refused_with_what_the_order_is_now(order):
    """The owner's phone still shows "placed", but the other phone has accepted it."""
    change_status(order.id, S.ACCEPTED, "partner@mithaas.example", expected_from=S.PLACED)
    with pytest.raises(InvalidTransition, match="This order is already accepted"):
        change_status(order.id, S.CANCELLED, OWNER, note="Changed mind",
                      expected_from="placed")
    assert fresh(Order, order.id).status is S.ACCEPTED
    assert [h[1] for h in history_of(order.id)] == [S.PLACED, S.ACCEPTED]


def test_cancelling_needs_a_reason(order, kaju):
    for note in ("", "   "):
        with pytest.raises(InvalidInput) as refused:
            change_status(order.id, S.CANCELLED, OWNER, note=note)
        assert refused.value.field == "note"
    assert fresh(Order, order.id).status is S.PLACED
    assert fresh(Product, kaju.id).stock == 3000


def test_a_very_long_note_is_refused(order):
    with pytest.raises(InvalidInput):
        change_status(order.id, S.CANCELLED, OWNER, note="x" * 501)
    assert fresh(Order, order.id).status is S.PLACED


@pytest.mark.parametrize("to", ["shipped", "", None, "PLACED", "accepted'--"])
def test_a_status_that_is_not_ours_is_invalid_input(order, to):
    with pytest.raises(InvalidInput):
        change_status(order.id, to, OWNER)


@pytest.mark.parametrize("order_id", [0, -1, 987654, 2**31, 10**20])
def test_an_unknown_order_is_not_found(ctx, order_id):
    with pytest.raises(NotFound):
        change_status(order_id, S.ACCEPTED, OWNER)


# --- stock comes back on cancel -------------------------------------------------------------

def test_cancelling_returns_each_sweets_stock_through_the_ledger(kaju):
    jamun = make_product("Gulab Jamun", unit=Unit.PIECE, stock=120,
                         packs=(("Single piece", 1, 2500), ("Tin of 12", 12, 28000)))
    order = make_order((kaju, "500 g", 2), (kaju, "250 g", 1), (jamun, "Tin of 12", 2))
    assert (fresh(Product, kaju.id).stock, fresh(Product, jamun.id).stock) == (2750, 96)

    change_status(order.id, S.CANCELLED, OWNER, note="Customer not reachable")

    assert (fresh(Product, kaju.id).stock, fresh(Product, jamun.id).stock) == (4000, 120)
    returned = db.session.scalars(select(StockMovement).where(
        StockMovement.reason == "order cancelled").order_by(StockMovement.product_id)).all()
    assert [(m.product_id, m.change, m.stock_after, m.order_id, m.actor) for m in returned] == [
        (kaju.id, 1250, 4000, order.id, OWNER), (jamun.id, 24, 120, order.id, OWNER)]


def test_moves_other_than_cancel_leave_the_stock_alone(order, kaju):
    move(order.id, S.ACCEPTED, S.READY, S.DELIVERED)
    assert fresh(Product, kaju.id).stock == 3000
    assert db.session.query(StockMovement).filter_by(reason="order cancelled").count() == 0


def test_cancelling_skips_items_whose_sweet_was_deleted(kaju):
    barfi = make_product("Barfi", stock=1000)
    order = make_order((kaju, "500 g", 1), (barfi, "250 g", 1))
    # What the database does to an order's items when their product is deleted.
    db.session.execute(OrderItem.__table__.update().where(OrderItem.product_id == barfi.id)
                       .values(product_id=None))
    db.session.commit()

    change_status(order.id, S.CANCELLED, OWNER, note="Shop closed early")

    assert fresh(Product, kaju.id).stock == 4000
    assert fresh(Product, barfi.id).stock == 750
    assert db.session.query(StockMovement).filter_by(reason="order cancelled").count() == 1


# --- two owners at once (REAL COMMITS, one connection per thread) ----------------------------

def _race(app, order_id: int, attempts: list[tuple[OrderStatus, str]]):
    barrier = threading.Barrier(len(attempts))
    results: list = [None] * len(attempts)

    def run(i, to, note):
        with app.app_context():
            try:
                barrier.wait()
                change_status(order_id, to, f"owner{i}@mithaas.example", note=note,
                              expected_from=S.PLACED)
                results[i] = "ok"
            except InvalidTransition as error:
                results[i] = error.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, to, note))
               for i, (to, note) in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_owners_accepting_at_once_accept_it_once(app, order):
    results = _race(app, order.id, [(S.ACCEPTED, ""), (S.ACCEPTED, "")])
    assert sorted(results) == ["This order is already accepted.", "ok"]
    assert [h[1] for h in history_of(order.id)] == [S.PLACED, S.ACCEPTED]


def test_two_owners_cancelling_at_once_return_the_stock_once(app, order, kaju):
    results = _race(app, order.id, [(S.CANCELLED, "one"), (S.CANCELLED, "two")])
    assert sorted(results) == ["This order is already cancelled.", "ok"]
    assert fresh(Product, kaju.id).stock == 4000
    assert db.session.query(StockMovement).filter_by(reason="order cancelled").count() == 1


# --- finding orders -------------------------------------------------------------------------

@pytest.fixture
def three_customers(kaju):
    asha = make_order((kaju, "250 g", 1), name="Asha Rao", phone="+919876543210")
    ravi = make_order((kaju, "250 g", 1), name="Ravi Kumar", phone="+919123456789")
    meena = make_order((kaju, "250 g", 1), name="Meena Rao", phone="+918888877777")
    return asha, ravi, meena


def numbers(page) -> list[int]:
    return [o.number for o in page.orders]


@pytest.mark.parametrize("q", ["98765 43210", "+91-98765-43210", "098765 43210", "9876543210",
                               "+91 98765 43210", "(+91) 98765-43210", "43210"])
def test_orders_are_found_by_phone_in_any_usual_format(three_customers, q):
    asha, _, _ = three_customers
    assert numbers(list_orders(q=q)) == [asha.number]


@pytest.mark.parametrize("q", ["{n}", "#{n}", "# {n}"])
def test_orders_are_found_by_number(three_customers, q):
    _, ravi, _ = three_customers
    assert numbers(list_orders(q=q.format(n=ravi.number))) == [ravi.number]


def test_orders_are_found_by_part_of_the_name_in_any_case(three_customers):
    asha, ravi, meena = three_customers
    assert numbers(list_orders(q="rao")) == [meena.number, asha.number]
    assert numbers(list_orders(q="  RAVI   kumar ")) == [ravi.number]


@pytest.mark.parametrize("q", ["%", "_", "\\", "' OR 1=1 --", "x" * 500])
def test_search_text_is_only_ever_text(three_customers, q):
    assert list_orders(q=q).orders == []


def test_orders_are_filtered_by_status(three_customers):
    asha, ravi, meena = three_customers
    change_status(ravi.id, S.ACCEPTED, OWNER)
    assert numbers(list_orders(status=S.ACCEPTED)) == [ravi.number]
    assert numbers(list_orders(status=S.PLACED)) == [meena.number, asha.number]


def test_date_filters_use_days_in_kolkata(kaju):
    # 23:30 on 1 May in Kolkata is still 1 May there, though it is 18:00 UTC.
    late = make_order((kaju, "250 g", 1),
                      created_at=datetime(2025, 5, 1, 18, 0, tzinfo=UTC))
    # 00:10 on 2 May in Kolkata is 18:40 UTC on 1 May.
    early = make_order((kaju, "250 g", 1),
                       created_at=datetime(2025, 5, 1, 18, 40, tzinfo=UTC))
    may1, may2 = date(2025, 5, 1), date(2025, 5, 2)
    assert numbers(list_orders(date_from=may1, date_to=may1)) == [late.number]
    assert numbers(list_orders(date_from=may2, date_to=may2)) == [early.number]
    assert numbers(list_orders(date_from=may1)) == [early.number, late.number]
    assert numbers(list_orders(date_to=may1)) == [late.number]


def test_orders_come_newest_first_25_to_a_page(ctx):
    ladoo = make_product("Ladoo", stock=100_000)
    made = [make_order((ladoo, "250 g", 1)).number for _ in range(27)]
    first, second = list_orders(page=1), list_orders(page=2)
    assert (first.total, first.pages, second.page) == (27, 2, 2)
    assert numbers(first) == made[::-1][:25]
    assert numbers(second) == made[::-1][25:]
    assert (first.has_previous, first.has_next, second.has_next) == (False, True, False)
    assert list_orders(page=99).page == 2  # past the end shows the last page
    assert list_orders(page=-3).page == 1


# --- cash received on delivery ---------------------------------------------------------------

def test_delivering_a_cash_order_records_the_cash_as_received_by_who_and_when(order):
    from sweetshop.models import PaymentMethod, PaymentStatus, utcnow
    before = utcnow()
    move(order.id, S.ACCEPTED, S.OUT_FOR_DELIVERY)
    assert fresh(Order, order.id).payment_status is PaymentStatus.UNPAID  # not yet
    move(order.id, S.DELIVERED)
    delivered = fresh(Order, order.id)
    assert delivered.payment_method is PaymentMethod.COD
    assert delivered.payment_status is PaymentStatus.PAID
    assert delivered.cash_received_by == OWNER
    assert before <= delivered.cash_received_at <= utcnow()
    assert delivered.history[-1].to_status is S.DELIVERED  # the same commit as the status


def test_a_refused_delivery_records_no_cash(order):
    from sweetshop.models import PaymentStatus
    with pytest.raises(InvalidTransition):
        change_status(order.id, S.DELIVERED, OWNER)  # placed: cannot be delivered yet
    again = fresh(Order, order.id)
    assert again.payment_status is PaymentStatus.UNPAID and again.cash_received_at is None


def test_a_cancelled_cash_order_stays_unpaid(order):
    from sweetshop.models import PaymentStatus
    move(order.id, S.CANCELLED, note="Customer asked")
    cancelled = fresh(Order, order.id)
    assert cancelled.payment_status is PaymentStatus.UNPAID and cancelled.cash_received_at is None


def test_delivering_an_order_paid_online_records_no_cash(order):
    from sweetshop.models import PaymentMethod, PaymentStatus
    paid = fresh(Order, order.id)
    paid.payment_method, paid.payment_status = PaymentMethod.ONLINE, PaymentStatus.PAID
    db.session.commit()
    move(order.id, S.ACCEPTED, S.OUT_FOR_DELIVERY, S.DELIVERED)
    delivered = fresh(Order, order.id)
    assert delivered.payment_method is PaymentMethod.ONLINE and delivered.cash_received_at is None
