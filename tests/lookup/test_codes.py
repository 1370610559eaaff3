"""One-time codes: hashed, short-lived, single use, few tries, few sends; limits in PostgreSQL."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from sweetshop.extensions import db
from sweetshop.models import LookupCode, Notification
from sweetshop.services import otp
from sweetshop.services.errors import DomainError
from sweetshop.services.notifications import deliver
from tests.lookup.conftest import OTHER_PHONE, PHONE

HOME = "203.0.113.7"


def _codes():
    return db.session.scalars(select(LookupCode).order_by(LookupCode.id)).all()


def test_a_code_is_random_six_digits():
    made = {otp.generate_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in made) and len(made) > 40


def test_the_code_is_stored_only_as_a_keyed_hash(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    row = _codes()[-1]
    assert codes[-1] not in row.code_hash and len(row.code_hash) == 64
    assert row.code_hash == otp.hash_code(PHONE, codes[-1])
    assert row.code_hash != otp.hash_code(OTHER_PHONE, codes[-1])  # bound to the phone


def test_the_right_code_works_once(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    otp.verify_code(PHONE, codes[-1], HOME)
    with pytest.raises(otp.CodeRefused, match="already used"):
        otp.verify_code(PHONE, codes[-1], HOME)


def test_a_code_older_than_ten_minutes_is_refused(ctx, codes, customer_order, age_codes):
    otp.request_code(PHONE, HOME)
    age_codes(timedelta(minutes=10, seconds=1))
    with pytest.raises(otp.CodeRefused, match="expired"):
        otp.verify_code(PHONE, codes[-1], HOME)


def test_a_code_for_one_phone_does_not_open_another(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    with pytest.raises(otp.CodeRefused):
        otp.verify_code(OTHER_PHONE, codes[-1], HOME)


def test_after_five_wrong_tries_even_the_right_code_is_refused(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    right = codes[-1]
    wrong = "000000" if right != "000000" else "111111"
    messages = []
    for _ in range(5):
        with pytest.raises(otp.CodeRefused) as refused:
            otp.verify_code(PHONE, wrong, HOME)
        messages.append(refused.value.message)
    assert "4 tries left" in messages[0] and "1 try left" in messages[3]
    assert "last try" in messages[4]
    with pytest.raises(otp.CodeRefused, match="Too many wrong tries"):
        otp.verify_code(PHONE, right, HOME)
    assert _codes()[-1].attempts == 5 and _codes()[-1].used_at is None
    # A new code starts afresh.
    otp.request_code(PHONE, HOME)
    otp.verify_code(PHONE, codes[-1], HOME)


def test_a_new_code_replaces_the_earlier_one(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    first = codes[-1]
    otp.request_code(PHONE, HOME)
    with pytest.raises(otp.CodeRefused):
        otp.verify_code(PHONE, first, HOME)
    otp.verify_code(PHONE, codes[-1], HOME)


def test_at_most_three_codes_per_phone_in_fifteen_minutes(ctx, codes, customer_order,
                                                           age_codes):
    for _ in range(3):
        otp.request_code(PHONE, HOME)
    with pytest.raises(otp.TooManyRequests, match="wait 15 minutes") as refused:
        otp.request_code(PHONE, "198.51.100.1")  # another address changes nothing
    assert refused.value.status_code == 429
    assert len(_codes()) == 3
    otp.request_code(OTHER_PHONE, HOME)  # other phones are not held up
    age_codes(timedelta(minutes=15, seconds=1))
    otp.request_code(PHONE, HOME)


def test_at_most_ten_codes_per_phone_in_a_day(ctx, codes, customer_order, age_codes):
    for _ in range(3):
        for _ in range(3):
            otp.request_code(PHONE, HOME)
        age_codes(timedelta(minutes=16))
    otp.request_code(PHONE, "198.51.100.1")
    with pytest.raises(otp.TooManyRequests, match="wait a day"):
        otp.request_code(PHONE, "198.51.100.2")


def test_at_most_ten_codes_per_address_in_an_hour(ctx, codes):
    for n in range(10):
        otp.request_code(f"+9198765432{n:02d}", HOME)
    with pytest.raises(otp.TooManyRequests, match="from here"):
        otp.request_code("+919876543299", HOME)
    otp.request_code("+919876543299", "198.51.100.1")


def test_too_many_failed_tries_from_one_address_are_refused(ctx, codes):
    for n in range(4):
        otp.request_code(f"+9198765432{n:02d}", HOME)
        for _ in range(5):
            with pytest.raises(otp.CodeRefused):
                otp.verify_code(f"+9198765432{n:02d}", "999999", HOME)
    with pytest.raises(otp.TooManyRequests):
        otp.verify_code("+919876543200", "999999", HOME)


def test_the_limits_hold_with_redis_down(app, ctx, codes, customer_order):
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        for _ in range(3):
            otp.request_code(PHONE, HOME)
        with pytest.raises(otp.TooManyRequests):
            otp.request_code(PHONE, HOME)
    finally:
        app.config["REDIS_URL"] = saved
    # The intent is in PostgreSQL; the sweeper sends it once Redis is back.
    assert db.session.query(Notification).filter_by(kind="lookup_code").count() == 3


def test_a_customer_gets_the_code_by_sms(ctx, codes, customer_order):
    otp.request_code(PHONE, HOME)
    note = db.session.scalars(select(Notification).where(Notification.kind == "lookup_code")).one()
    assert (note.to, note.channel, note.status) == (PHONE, "sms", "queued")
    assert f"your code is {codes[-1]}" in note.body
    assert deliver(note.id) == "sent"


def test_the_code_goes_by_whatsapp_when_the_customer_chose_it(ctx, codes, customer_order):
    from sweetshop.models import Order
    order = db.session.get(Order, customer_order["id"])
    order.notify_whatsapp = True
    db.session.commit()
    otp.request_code(PHONE, HOME)
    note = db.session.scalars(select(Notification).where(Notification.kind == "lookup_code")).one()
    assert note.channel == "whatsapp"


def test_a_number_without_orders_gets_a_code_row_but_no_message(ctx, codes):
    otp.request_code(OTHER_PHONE, HOME)
    assert len(_codes()) == 1
    note = db.session.scalars(select(Notification).where(Notification.kind == "lookup_code")).one()
    assert note.status == "skipped" and codes[-1] not in note.body
    assert deliver(note.id) == "done"  # its job finds nothing to send
    db.session.refresh(note)
    assert note.status == "skipped" and note.sent_at is None


def test_old_codes_and_attempts_are_pruned(ctx, codes, age_codes):
    otp.request_code(PHONE, HOME)
    with pytest.raises(DomainError):
        otp.verify_code(PHONE, "999999" if codes[-1] != "999999" else "000000", HOME)
    age_codes(timedelta(days=3))
    otp.request_code(OTHER_PHONE, HOME)
    assert otp.prune() == 2
    assert [c.phone for c in _codes()] == [OTHER_PHONE]
