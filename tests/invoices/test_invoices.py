"""Issuing invoices and credit notes: once, numbered, copied whole, with the right tax."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from sweetshop.extensions import db
from sweetshop.formatting import KOLKATA
from sweetshop.models import Invoice, Notification, Order, Refund
from sweetshop.services import cart as cart_service
from sweetshop.services import invoices as invoice_service
from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
from sweetshop.services.orders import change_status
from tests.factories import make_order, make_product, variant_named
from tests.invoices.helpers import BUYER_GSTIN, register_shop


def _invoice(order) -> Invoice:
    return invoice_service.invoice_for(order.id)


def test_financial_years_turn_on_the_first_of_april_in_kolkata():
    fy = invoice_service.financial_year
    assert fy(datetime(2027, 3, 31, 23, 59, tzinfo=KOLKATA)) == 2026
    assert fy(datetime(2027, 4, 1, 0, 0, tzinfo=KOLKATA)) == 2027
    assert invoice_service.document_number("MS", 2026, 123) == "MS/26-27/000123"
    assert len(invoice_service.document_number("INV", 2099, 999999)) == 16


def test_a_cash_order_gets_a_tax_invoice_with_cgst_and_sgst(regular_shop, kaju):
    order = make_order((kaju, "500 g", 2), (kaju, "250 g", 1))
    invoice = _invoice(order)
    assert invoice.kind == "tax_invoice" and invoice.number.startswith("MS/")
    assert invoice.number.endswith("/000001") and len(invoice.number) <= 16
    assert invoice.place_of_supply == "29" and invoice.intra_state
    assert invoice.total_paise == order.total_paise == 2 * 58000 + 30000
    assert invoice.igst_paise == 0 and invoice.cgst_paise == invoice.sgst_paise > 0
    assert invoice.taxable_paise + invoice.tax_paise == invoice.total_paise
    assert [line.hsn_code for line in invoice.lines] == ["1704", "1704"]
    assert invoice.supplier_gstin == regular_shop.gstin
    assert invoice.fssai_number == "11223344556677"
    assert invoice.buyer_phone == order.phone


def test_another_states_pincode_gets_igst(regular_shop, kaju):
    order = make_order((kaju, "1 kg", 1), pincode="400001")
    invoice = _invoice(order)
    assert invoice.place_of_supply == "27" and not invoice.intra_state
    assert invoice.cgst_paise == invoice.sgst_paise == 0
    assert invoice.igst_paise == 5476 and invoice.taxable_paise == 109524


def test_numbers_follow_on_without_gaps_even_when_an_order_fails(regular_shop, kaju):
    from sweetshop.services.errors import OutOfStock

    first = make_order((kaju, "250 g", 1))
    scarce = make_product("Rasmalai", stock=250)
    token, _ = cart_service.add_to_cart(None, variant_named(scarce, "250 g").id, 1)
    make_order((scarce, "250 g", 1))  # takes the last of it
    with pytest.raises(OutOfStock):
        place_order(token, CustomerDetails(name="B", phone="+919876543211",
                                           address="1 Long Street, Bengaluru",
                                           pincode="560001"), new_idempotency_key())
    third = make_order((kaju, "250 g", 1))
    numbers = [_invoice(o).sequence for o in (first, third)]
    assert numbers == [1, 3]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3


def test_a_business_buyer_gets_a_b2b_invoice(regular_shop, kaju):
    token, _ = cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 3)
    order = place_order(token, CustomerDetails(
        name="Ravi Shetty", phone="+919876543212", address="4th Floor, Prestige Towers",
        pincode="560025", buyer_gstin=BUYER_GSTIN, buyer_business_name="Shetty Events LLP"),
        new_idempotency_key())
    invoice = _invoice(order)
    assert invoice.is_b2b and invoice.buyer_gstin == BUYER_GSTIN
    assert invoice.buyer_business_name == "Shetty Events LLP"


def test_a_composition_shop_issues_a_bill_of_supply_without_tax(ctx, kaju):
    register_shop("composition")
    invoice = _invoice(make_order((kaju, "500 g", 1)))
    assert invoice.kind == "bill_of_supply" and invoice.tax_paise == 0
    assert invoice.taxable_paise == invoice.total_paise == 58000


def test_an_unregistered_shop_issues_a_receipt(ctx, kaju):
    register_shop("none")
    invoice = _invoice(make_order((kaju, "500 g", 1)))
    assert invoice.kind == "receipt" and invoice.supplier_gstin == "" and invoice.tax_paise == 0


def test_delivery_is_its_own_line_with_its_sac_and_rate(ctx, kaju):
    register_shop(delivery_fee_paise=4000, delivery_sac="996813", delivery_gst_rate_bp=1800)
    invoice = _invoice(make_order((kaju, "250 g", 1)))
    delivery = invoice.lines[-1]
    assert delivery.is_delivery and delivery.hsn_code == "996813" and delivery.rate_bp == 1800
    assert delivery.total_paise == 4000 and delivery.cgst_paise == 305
    assert invoice.total_paise == 34000


def test_per_product_hsn_and_rate_and_the_snapshot_never_changes(regular_shop, kaju):
    namkeen = make_product("Khatta Meetha")
    invoice_service.set_product_tax(namkeen.id, "2106", "12")
    order = make_order((kaju, "500 g", 1), (namkeen, "500 g", 1))
    invoice = _invoice(order)
    before = [(ln.description, ln.hsn_code, ln.rate_bp, ln.unit_price_paise, ln.taxable_paise,
               ln.cgst_paise) for ln in invoice.lines]
    assert [b[1:3] for b in before] == [("1704", 500), ("2106", 1200)]
    # The owner changes everything afterwards: name, price, HSN, rate, the shop itself.
    kaju.name = "Kaju Barfi"
    variant_named(kaju, "500 g").price_paise = 99900
    invoice_service.set_product_tax(kaju.id, "2106", "18")
    register_shop(name="New Name", gstin="", gst_registration="none")
    db.session.expire_all()
    again = _invoice(order)
    assert [(ln.description, ln.hsn_code, ln.rate_bp, ln.unit_price_paise, ln.taxable_paise,
             ln.cgst_paise) for ln in again.lines] == before
    assert again.supplier_name == "Mithaas Sweets" and again.kind == "tax_invoice"


def test_an_invoice_is_issued_only_once(regular_shop, kaju):
    order = make_order((kaju, "500 g", 1))
    first = _invoice(order)
    assert invoice_service.issue_invoice(db.session.get(Order, order.id)).id == first.id
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_a_cancelled_order_keeps_its_invoice_and_gets_a_credit_note(regular_shop, kaju):
    order = make_order((kaju, "500 g", 2))
    change_status(order.id, "cancelled", "owner@example.com", note="Customer asked to cancel")
    invoice = _invoice(order)
    notes = invoice_service.credit_notes_of(invoice)
    assert len(notes) == 1
    note = notes[0]
    assert note.number == note.number.upper() and note.number.startswith("CN/")
    assert note.for_cancellation and note.reason == "Customer asked to cancel"
    for column in ("taxable_paise", "cgst_paise", "sgst_paise", "igst_paise", "total_paise"):
        assert getattr(note, column) == getattr(invoice, column)
    message = db.session.scalars(select(Notification).where(
        Notification.order_id == order.id, Notification.kind == "credit_note")).one()
    assert note.number in message.body and invoice.number in message.body
    assert "/invoices/" in message.body and "₹1,160" in message.body


def test_refunds_get_credit_notes_that_never_credit_more_than_the_invoice(regular_shop, kaju):
    from sweetshop.models import Payment, PaymentMethod, PaymentStatus

    order = make_order((kaju, "500 g", 1), (kaju, "250 g", 3))  # 580 + 900 = 1480
    payment = Payment(order_id=order.id, razorpay_order_id="order_T" + "1" * 12,
                      razorpay_payment_id="pay_T" + "1" * 12, amount_paise=148000,
                      currency="INR", refunded_paise=0)
    db.session.add(payment)
    order.payment_method, order.payment_status = PaymentMethod.ONLINE, PaymentStatus.PAID
    db.session.commit()
    invoice = _invoice(order)
    for n, amount in enumerate((33333, 100000, 50000), start=1):
        refund = Refund(payment=payment, razorpay_payment_id=payment.razorpay_payment_id,
                        amount_paise=amount, idempotency_key=f"k{n}" * 8, status="requested",
                        reason="Broken box", actor="owner", error="", tries=0)
        db.session.add(refund)
        db.session.flush()
        invoice_service.issue_credit_note(db.session.get(Order, order.id), reason="Broken box",
                                          amount_paise=amount, refund=refund)
        db.session.commit()
    notes = invoice_service.credit_notes_of(invoice)
    assert [n.total_paise for n in notes] == [33333, 100000, 148000 - 133333]
    for column in ("taxable_paise", "cgst_paise", "sgst_paise", "total_paise"):
        assert sum(getattr(n, column) for n in notes) == getattr(invoice, column)
    for note in notes:
        assert note.taxable_paise + note.tax_paise == note.total_paise
    # Cancelling now finds nothing left to credit.
    change_status(order.id, "cancelled", "owner", note="Refunded in full")
    assert len(invoice_service.credit_notes_of(invoice)) == 3


def test_hostile_basket_of_many_tiny_lines_at_mixed_rates_adds_up(regular_shop):
    products = []
    for i in range(12):
        product = make_product(f"Tiny {i}", stock=100000,
                               packs=(("1 g", 1, 100 + i), ("2 g", 2, 101 + i)))
        invoice_service.set_product_tax(product.id, "1704", ("5", "18", "0.25", "40")[i % 4])
        products.append(product)
    lines = [(p, "1 g", 1 + i % 3) for i, p in enumerate(products)]
    lines += [(p, "2 g", 7) for p in products[::2]]
    order = make_order(*lines, pincode="400001")
    invoice = _invoice(order)
    assert invoice.total_paise == order.total_paise
    assert invoice.taxable_paise + invoice.igst_paise == order.total_paise
    assert sum(ln.total_paise for ln in invoice.lines) == order.total_paise
    change_status(order.id, "cancelled", "owner", note="Test")
    note = invoice_service.credit_notes_of(invoice)[0]
    assert (note.taxable_paise, note.igst_paise) == (invoice.taxable_paise, invoice.igst_paise)
