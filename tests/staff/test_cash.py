"""The Cash page's arithmetic: collected against handed over and explained, per person and
day; totals by method; handovers never counted twice (double taps, two phones at once)."""
from __future__ import annotations

import pytest

from sweetshop.admin import Actor
from sweetshop.extensions import db
from sweetshop.formatting import local_today
from sweetshop.models import CashEntry
from sweetshop.services import cash, delivery
from sweetshop.services.errors import InvalidInput
from sweetshop.services.orders import change_status
from tests.concurrency import race
from tests.factories import make_order, make_product

S = delivery.S


@pytest.fixture
def people(ctx, staff):
    return {"owner": Actor("Meera Shah", staff["owner"], "owner"),
            "ravi": Actor("Ravi Kumar", staff["delivery"], "delivery"),
            "sunil": Actor("Sunil Rao", staff["delivery2"], "delivery")}


def deliver(people, who, pack, method="cash"):
    order = make_order((make_product(), pack, 1), phone="+919876500011")
    change_status(order.id, S.ACCEPTED, people["owner"])
    change_status(order.id, S.OUT_FOR_DELIVERY, people["owner"],
                  assign_to=people[who].staff_id)
    delivery.deliver(order.id, actor=people[who], code=db.session.get(
        type(order), order.id).handover_code, method=method, upi_reference="998877")
    return order


def record(people, amount, kind="handover", key=None, note="", who="ravi"):
    return cash.record_entry(staff_id=people[who].staff_id, day=local_today(), kind=kind,
                             amount_paise=amount, note=note,
                             key=key or f"k{amount}{kind}xxxxxxxxxxxx",
                             actor=people["owner"])


def row_of(people, who):
    return cash.person_day(people[who].staff_id, local_today())


def test_collected_minus_handed_over_minus_explained_is_the_difference(people):
    deliver(people, "ravi", "500 g")       # ₹580 cash
    deliver(people, "ravi", "1 kg")        # ₹1,150 cash
    deliver(people, "ravi", "250 g", "upi")  # ₹300 UPI: not cash in hand
    row = row_of(people, "ravi")
    assert (row.collected_paise, row.orders, row.outstanding_paise) == (173000, 2, 173000)
    record(people, 170000)
    assert row_of(people, "ravi").outstanding_paise == 3000
    with pytest.raises(InvalidInput, match="what explains"):
        record(people, 3000, kind="explained")
    record(people, 3000, kind="explained", note="Gave ₹30 change from his own pocket")
    row = row_of(people, "ravi")
    assert (row.handed_paise, row.explained_paise, row.outstanding_paise, row.balanced) == (
        170000, 3000, 0, True)
    totals = cash.day_totals(local_today())
    assert (totals.cash_paise, totals.upi_paise, totals.online_paise, totals.total_paise) == (
        173000, 30000, 0, 203000)


def test_each_person_has_their_own_day(people):
    deliver(people, "ravi", "500 g")
    deliver(people, "sunil", "1 kg")
    rows = {r.staff.name: r.outstanding_paise for r in cash.cash_day(local_today())}
    assert rows == {"Ravi Kumar": 58000, "Sunil Rao": 115000}


def test_a_handover_above_what_is_outstanding_is_refused(people):
    deliver(people, "ravi", "500 g")
    with pytest.raises(InvalidInput, match="Only ₹580 is outstanding"):
        record(people, 60000)
    assert db.session.query(CashEntry).count() == 0


def test_a_double_tap_is_one_handover(people):
    deliver(people, "ravi", "500 g")
    first, created = record(people, 58000, key="same-form-key-1234")
    again, created_again = record(people, 58000, key="same-form-key-1234")
    assert created and not created_again and first.id == again.id
    assert row_of(people, "ravi").handed_paise == 58000


def test_the_same_handover_from_two_phones_at_once_is_counted_once(app, people):
    deliver(people, "ravi", "500 g")
    db.session.remove()
    same_key = [lambda: record(people, 58000, key="one-form-key-abcdef")] * 3
    other_keys = [lambda i=i: record(people, 58000, key=f"phone-{i}-key-abcdefgh")
                  for i in range(3)]
    results = race(app, same_key + other_keys)
    written = [r for r in results if isinstance(r, tuple) and r[1]]
    assert len(written) == 1, results
    assert all(isinstance(r, (tuple, InvalidInput)) for r in results), results
    db.session.expire_all()
    assert row_of(people, "ravi").handed_paise == 58000
    assert db.session.query(CashEntry).count() == 1


def test_the_csv_has_every_person_and_the_method_totals(people):
    deliver(people, "ravi", "500 g")
    record(people, 58000)
    text = cash.day_csv(local_today())
    assert f"{local_today().isoformat()},Ravi Kumar,delivery,1,580.00,580.00,0.00,0.00" in text
    assert f"{local_today().isoformat()},cash,580.00" in text
