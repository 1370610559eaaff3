"""The exact words of every message, and customer text quoted to the owner only in a
bounded, link-free form (a checkout form must not be a way to phish the owner)."""
import pytest

from sweetshop.extensions import db
from sweetshop.models import Notification, Unit
from sweetshop.services import cart as cart_service
from sweetshop.services import checkout
from sweetshop.services.messages import NAME_LIMIT, NOTE_LIMIT, compose, quote, sentence
from sweetshop.services.orders import change_status
from sweetshop.services.shop import get_settings
from tests.factories import make_product, variant_named

OWNER = "+919811112222"
HOSTILE_NAME = "URGENT Razorpay KYC expired, re-verify at evil.example/kyc"


def _order(*lines, name="Asha Rao", note="", phone="+919876543210"):
    """A COD order placed through checkout, the shop named and the owner's phone set."""
    settings = get_settings()
    settings.name, settings.owner_phones, settings.phone = "Mithaas Sweets", OWNER, "+919876500000"
    db.session.commit()
    token = None
    for product, pack, quantity in lines:
        token, _ = cart_service.add_to_cart(token, variant_named(product, pack).id, quantity)
    details = checkout.CustomerDetails(name=name, phone=phone, note=note,
                                       address="12 MG Road, Bengaluru", pincode="560038")
    return checkout.place_order(token, details, checkout.new_idempotency_key())


def _owner_alert(order) -> str:
    return db.session.query(Notification).filter_by(order_id=order.id,
                                                    kind="owner_new_order").one().body


@pytest.fixture
def kaju(ctx):
    return make_product("Kaju Katli")


@pytest.fixture
def rasgulla(ctx):
    return make_product("Rasgulla", unit=Unit.PIECE, stock=80,
                        packs=(("Box of 6", 6, 15000), ("Box of 12", 12, 29000)))


def test_a_phishing_name_reaches_the_owner_without_its_link(app, kaju):
    order = _order((kaju, "500 g", 1), name=HOSTILE_NAME)
    base = app.config["PUBLIC_BASE_URL"]
    assert _owner_alert(order) == (
        "New order #1001: ₹580, cash on delivery. 1 × Kaju Katli 500 g. "
        f"From URGENT Razorpay KYC expired, re-verify… {base}/admin/orders/{order.id}")


def test_the_owner_alert_names_the_items_and_the_cleaned_note(app, kaju, rasgulla):
    order = _order((kaju, "500 g", 2), (rasgulla, "Box of 12", 1),
                   note="Ring twice.\nGate code 1234 http://evil.example/pay please")
    base = app.config["PUBLIC_BASE_URL"]
    assert _owner_alert(order) == (
        "New order #1001: ₹1,450, cash on delivery. 2 × Kaju Katli 500 g, "
        "1 × Rasgulla Box of 12. From Asha Rao. Note: “Ring twice. Gate code 1234 please” "
        f"{base}/admin/orders/{order.id}")


def test_a_name_that_was_only_a_link_is_left_out(app, kaju):
    order = _order((kaju, "500 g", 1), name="https://evil.example/kyc")
    assert _owner_alert(order) == (
        "New order #1001: ₹580, cash on delivery. 1 × Kaju Katli 500 g. "
        f"{app.config['PUBLIC_BASE_URL']}/admin/orders/{order.id}")


def test_the_owner_alert_names_three_lines_and_counts_the_rest(kaju, rasgulla):
    laddoo, jalebi = make_product("Besan Laddoo"), make_product("Jalebi")
    order = _order((kaju, "250 g", 1), (rasgulla, "Box of 6", 1), (laddoo, "1 kg", 1),
                   (jalebi, "500 g", 3), (kaju, "1 kg", 1))
    body = _owner_alert(order)
    assert ("1 × Kaju Katli 250 g, 1 × Rasgulla Box of 6, 1 × Besan Laddoo 1 kg, "
            "and 2 more lines. From Asha Rao.") in body
    assert "Note:" not in body  # no note, no empty quotes


@pytest.mark.parametrize("typed, quoted", [
    (HOSTILE_NAME, "URGENT Razorpay KYC expired, re-verify at"),
    ("Pay at https://evil.example now", "Pay at now"),
    ("see www.evil.in", "see"),
    ("mail asha@evil.example", "mail"),
    ("ｅｖｉｌ．ｅｘａｍｐｌｅ/kyc", ""),                  # full-width letters and dot
    ("evil\u200b.example/kyc", ""),                        # a zero-width space inside
    ("evil。example", "evil. example"),                     # an ideographic full stop
    ("go to evil.example", "go to evil. example"),          # no path: the link is broken
    ("S.Kumar", "S. Kumar"),
    ("Ring twice.Gate code 1234", "Ring twice. Gate code 1234"),
    ("1.5 kg, 203.0.113.5/login", "1.5 kg,"),
    ("Flat No.12/4, evil.example:8080/x", "Flat No.12/4,"),
    ("Asha\nRao\r\n\tx\x1b[31m", "Asha Rao x [31m"),
    ("\u202eoaR ahsA", "oaR ahsA"),                          # a right-to-left override
    ("आशा राव", "आशा राव"),
    ("", ""),
    (None, ""),
])
def test_customer_text_is_one_line_without_links(typed, quoted):
    assert quote(typed, 80) == quoted


def test_customer_text_is_cut_to_its_limit_never_inside_a_letter():
    assert quote("a" * 100, NAME_LIMIT) == "a" * (NAME_LIMIT - 1) + "…"
    assert len(quote("x " * 100, NOTE_LIMIT)) <= NOTE_LIMIT
    # "कि" is a consonant and its vowel sign: the cut does not part them.
    cut = quote("क" * 38 + "कि" + "क", NAME_LIMIT)
    assert cut == "क" * 38 + "…"
    assert quote("q\u0301" * 30, NAME_LIMIT) == "q\u0301" * 19 + "…"  # q + combining acute


def test_a_sentence_ends_in_one_full_stop():
    assert [sentence(t) for t in ("instead", "instead.", "Why?", "", " ok ")] == [
        "instead.", "instead.", "Why?", "", "ok."]


def test_the_cancellation_has_one_full_stop_and_the_shops_phone(kaju):
    order = _order((kaju, "500 g", 1))
    change_status(order.id, "cancelled", "owner@example.com",
                  note="Sold out of Kaju Katli today, we suggest Milk Cake instead.")
    body = db.session.query(Notification).filter_by(order_id=order.id,
                                                    kind="order_cancelled").one().body
    assert body == ("Mithaas Sweets: order #1001 is cancelled. Reason: Sold out of Kaju Katli "
                    "today, we suggest Milk Cake instead. Questions? Call us on +91 98765 00000.")


def test_every_customer_message_reads_right(app, kaju):
    order = _order((kaju, "500 g", 1))
    link = f"{app.config['PUBLIC_BASE_URL']}/orders/{order.public_token}"

    def words(kind, **extra):
        return compose(kind, "Mithaas Sweets", order, shop_phone="+919876500000", **extra)[0]

    shop = "Mithaas Sweets:"
    from sweetshop.services.messages import invoice_link

    assert words("order_placed") == (
        f"{shop} thank you! Order #1001 is placed. Total ₹580, cash on delivery. Track it: {link} "
        f"Invoice: {invoice_link(order)}")
    assert words("order_accepted") == (
        f"{shop} order #1001 is accepted and being packed. Track: {link}")
    assert words("order_ready") == f"{shop} order #1001 is packed and ready. Track: {link}"
    code = order.handover_code
    assert words("order_out_for_delivery") == (
        f"{shop} order #1001 is out for delivery. Please keep ₹580 ready. Your handover code "
        f"is {code}: give it to the delivery person when you have your sweets. Track: {link}")
    assert words("order_delivered") == f"{shop} order #1001 is delivered. Enjoy your sweets!"
    assert words("order_cancelled", reason="Shop closed today") == (
        f"{shop} order #1001 is cancelled. Reason: Shop closed today. "
        "Questions? Call us on +91 98765 00000.")
    assert words("order_expired") == (
        f"{shop} order #1001 was cancelled because the payment did not complete. "
        "Nothing was charged; you are welcome to order again.")
    assert words("payment_failed") == (
        f"{shop} the payment for order #1001 did not go through. You can try again here: {link}")
    assert words("refund_done", amount_paise=58000) == (
        f"{shop} we have refunded ₹580 for order #1001. "
        "It reaches your account in 5-7 working days.")
    assert compose("lookup_code", "Mithaas Sweets", code="123456")[0] == (
        f"{shop} your code is 123456. It expires in 10 minutes. Do not share it.")


def test_without_a_shop_phone_the_cancellation_does_not_promise_a_call(kaju):
    order = _order((kaju, "500 g", 1))
    body = compose("order_cancelled", "Mithaas Sweets", order, reason="")[0]
    assert body == "Mithaas Sweets: order #1001 is cancelled. Reason: not given."
