"""Orders for a time: what the checkout offers, what it refuses, what it books and gives back."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.formatting import KOLKATA
from sweetshop.models import (
    CapacityBooking,
    Notification,
    Order,
    PaymentMethod,
    Product,
    SlotBooking,
    Unit,
)
from sweetshop.models.slots import WHOLE_KITCHEN
from sweetshop.services import cart as cart_service
from sweetshop.services import kitchen, slots
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.errors import InvalidInput
from sweetshop.services.orders import change_status
from sweetshop.services.reminders import queue_day_reminders
from sweetshop.services.shop import get_settings
from tests.factories import make_product, variant_named
from tests.slots.helpers import make_window, set_settings, slot_value, today_ist


def details(slot="asap", fulfilment="delivery", **extra) -> CustomerDetails:
    return CustomerDetails(name="Asha Rao", phone="+919876543210",
                           address="12 MG Road, Indiranagar, Bengaluru", pincode="560038",
                           fulfilment=fulfilment, slot=slot, **extra)


def cart_of(product, pack="500 g", quantity=1):
    return cart_service.add_to_cart(None, variant_named(product, pack).id, quantity)[0]


@pytest.fixture
def kaju(ctx):
    return make_product("Kaju Katli", stock=10_000)


def test_a_slot_order_books_its_slot_and_says_its_time_everywhere(kaju):
    set_settings(address="14 Chandni Chowk, Delhi", owner_phones="+919800000001")
    order = place_order(cart_of(kaju), details(slot_value(2, 17), "pickup"), new_idempotency_key())

    day = today_ist() + timedelta(days=2)
    assert order.fulfilment == "pickup" and order.delivery_fee_paise == 0
    assert order.slot_starts_at == datetime.combine(day, time(17), tzinfo=KOLKATA)
    expected = f"Pickup on {slots.day_label(day)}, 5–7 pm"
    assert slots.when_text(order) == expected
    bodies = {n.kind: n.body for n in db.session.scalars(select(Notification))}
    assert expected in bodies["order_placed"] and expected in bodies["owner_new_order"]
    assert db.session.scalars(select(SlotBooking)).one().orders == 1
    change_status(order.id, "accepted", "owner")
    change_status(order.id, "ready", "owner")
    ready = db.session.scalars(select(Notification).where(
        Notification.kind == "order_ready")).one().body
    assert "ready for pickup at 14 Chandni Chowk, Delhi" in ready


def test_a_cancelled_order_gives_its_slot_and_capacity_back(ctx):
    kaju = make_product("Kaju Katli", stock=0, packs=(("1 kg", 1000, 115000),))
    window = make_window([kaju], capacity_grams=40_000)
    order = place_order(cart_of(kaju, "1 kg", 2), details(slot_value(3, 11), "pickup"),
                        new_idempotency_key())
    kitchen_row = lambda: db.session.scalar(select(CapacityBooking.booked).where(  # noqa: E731
        CapacityBooking.window_id == window.id, CapacityBooking.product_id == WHOLE_KITCHEN))
    assert kitchen_row() == 2000 and order.items[0].made_to_order
    assert db.session.get(Product, kaju.id).stock == 0

    change_status(order.id, "cancelled", "owner", note="Customer called")

    assert kitchen_row() == 0
    assert db.session.scalars(select(SlotBooking)).one().orders == 0
    assert db.session.get(Product, kaju.id).stock == 0  # nothing was taken, nothing returned


@pytest.mark.parametrize("value, words", [
    ("2020-01-01T11:00", "not offered"),            # the past
    ("garbage", "one of the times shown"),          # tampered
    ("2099-01-01T11:00", "not offered"),            # beyond the days offered
])
def test_a_tampered_or_past_slot_is_refused_next_to_the_field_and_writes_nothing(kaju, value,
                                                                                 words):
    token = cart_of(kaju)
    with pytest.raises(InvalidInput if value == "garbage" else slots.SlotUnavailable) as refusal:
        place_order(token, details(value), new_idempotency_key())
    assert refusal.value.field == "slot" and words in refusal.value.message
    assert db.session.query(Order).count() == 0


def test_pickup_when_pickup_is_off_is_refused(kaju):
    set_settings(pickup_enabled=False)
    with pytest.raises(InvalidInput) as refusal:
        place_order(cart_of(kaju), details(slot_value(2, 11), "pickup"), new_idempotency_key())
    assert refusal.value.field == "fulfilment"


def test_a_full_slot_and_a_closed_day_are_shown_with_their_reasons(kaju):
    day = today_ist() + timedelta(days=2)
    set_settings(slot_max_orders=1, closed_dates=(day + timedelta(days=1)).isoformat())
    place_order(cart_of(kaju), details(slot_value(2, 11)), new_idempotency_key())

    cal = slots.calendar(get_settings(), "delivery", [])
    full = cal.find(slot_value(2, 11))
    assert (full.available, full.reason) == (False, "Full")
    closed = cal.day((day + timedelta(days=1)).isoformat())
    assert not closed.available and closed.why_not == "Closed (holiday)"
    with pytest.raises(slots.SlotUnavailable):
        place_order(cart_of(kaju), details(slot_value(2, 11)), new_idempotency_key())


def test_pre_order_days_show_the_cut_off_and_days_outside_the_window(ctx):
    kaju = make_product("Kaju Katli", stock=0, packs=(("1 kg", 1000, 115000),))
    make_window([kaju], first=1, last=3, order_by=time(0, 1))  # closes 00:01 the day before
    lines = [slots.LineDemand(kaju, 2000)]
    now = datetime.combine(today_ist(), time(10), tzinfo=KOLKATA)

    cal = slots.calendar(get_settings(), "pickup", lines, now)

    tomorrow = cal.day((now.date() + timedelta(days=1)).isoformat())
    assert tomorrow.why_not == "Order by 12:01 am the day before"
    assert cal.day(now.date().isoformat()).why_not.startswith("Diwali 2026 orders are for")
    assert cal.day((now.date() + timedelta(days=2)).isoformat()).available
    assert not cal.asap_available


def test_today_and_the_cut_off_are_in_kolkata_across_midnight(ctx):
    set_settings(same_day_cutoff="18:00",
                 weekly_hours={str(d): [["09:00", "21:00"]] for d in range(7)})
    settings = get_settings()
    before = datetime(2026, 10, 30, 18, 20, tzinfo=UTC)  # 23:50 IST on the 30th
    after = datetime(2026, 10, 30, 18, 40, tzinfo=UTC)   # 00:10 IST on the 31st, UTC still 30th

    late = slots.calendar(settings, "delivery", [], before)
    early = slots.calendar(settings, "delivery", [], after)

    assert late.days[0].day == date(2026, 10, 30)
    assert late.days[0].why_not == "Order by 6 pm for the same day"
    assert early.days[0].day == date(2026, 10, 31) and early.days[0].available
    assert not early.asap_available and early.notice == "We open at 9 am. Choose a time below."


def test_the_reminder_goes_out_once_on_the_morning_of_the_day(kaju):
    order = place_order(cart_of(kaju), details(slot_value(1, 17)), new_idempotency_key())
    day = today_ist() + timedelta(days=1)

    assert queue_day_reminders(datetime.combine(day, time(7), tzinfo=KOLKATA)) == 0
    assert queue_day_reminders(datetime.combine(day, time(8, 5), tzinfo=KOLKATA)) == 1
    assert queue_day_reminders(datetime.combine(day, time(9), tzinfo=KOLKATA)) == 0
    reminder = db.session.scalars(select(Notification).where(
        Notification.kind == "order_reminder")).one()
    assert reminder.order_id == order.id and "5–7 pm" in reminder.body
    assert "Please keep ₹580 ready" in reminder.body


def test_a_pre_order_with_an_advance_must_pay_online_and_is_asked_for_the_share(ctx):
    kaju = make_product("Kaju Katli", stock=0, packs=(("1 kg", 1000, 115000),))
    make_window([kaju], advance_percent=30)
    with pytest.raises(InvalidInput) as refusal:
        place_order(cart_of(kaju, "1 kg", 2), details(slot_value(3, 11), "pickup"),
                    new_idempotency_key())
    assert refusal.value.field == "payment_method" and "30%" in refusal.value.message

    from sweetshop.services import checkout
    checkout.online_payment_enabled = lambda: True  # restored below
    try:
        order = place_order(cart_of(kaju, "1 kg", 2), details(
            slot_value(3, 11), "pickup", payment_method=PaymentMethod.ONLINE),
            new_idempotency_key())
    finally:
        from sweetshop.integrations.razorpay import is_enabled
        checkout.online_payment_enabled = is_enabled
    assert order.total_paise == 230000 and order.advance_paise == 69000
    assert order.online_amount_paise == 69000


def test_the_production_sheet_and_the_slips_add_up_to_what_was_ordered(ctx):
    kaju = make_product("Kaju Katli", stock=10_000)
    jamun = make_product("Gulab Jamun", stock=100, unit=Unit.PIECE, packs=(("Box of 6", 6, 15000),))
    day = today_ist() + timedelta(days=1)
    place_order(cart_of(kaju, "500 g", 2), details(slot_value(1, 11)), new_idempotency_key())
    place_order(cart_of(kaju, "1 kg", 1), details(slot_value(1, 17), "pickup"),
                new_idempotency_key())
    place_order(cart_of(jamun, "Box of 6", 2), details(slot_value(1, 17)), new_idempotency_key())

    sheet = kitchen.production_sheet(day)

    rows = {r.name: r for r in sheet.rows}
    assert rows["Kaju Katli"].total == 2000
    assert rows["Kaju Katli"].by_slot == {"11:00": 1000, "17:00": 1000}
    assert rows["Gulab Jamun"].total == 12
    slips = kitchen.slips_for(day=day, slot="17:00")
    assert len(slips) == 2
    assert sum(i.base_quantity for o in kitchen.slips_for(day=day) for i in o.items
               if i.product_name == "Kaju Katli") == 2000
    assert "Kaju Katli,g,1000,1000,2000" in kitchen.production_csv(sheet).replace("\r", "")
