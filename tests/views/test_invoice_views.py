"""The customer's invoice: a GSTIN at checkout (checked), then the invoice at a signed link,
as a page and as a PDF whose text holds the number and the totals."""
from __future__ import annotations

import io
import re

from pypdf import PdfReader

from sweetshop.models import Invoice, Notification, Order
from tests.invoices.helpers import BUYER_GSTIN, register_shop


def _place(shopper, checkout_details, **extra):
    data = {**checkout_details, **shopper.checkout_form(), **extra}
    return shopper.client.post("/checkout", data=data)


def test_a_bad_gstin_at_checkout_is_refused_next_to_the_field(shopper, make_sweet, in_db,
                                                             checkout_details, count):
    in_db(register_shop)
    shopper.add(make_sweet("Kaju Katli"), "500 g")
    response = _place(shopper, checkout_details, buyer_gstin="29AAGCB7383J1Z5",
                      buyer_business_name="Shetty Events")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="buyer_gstin-error">[^<]*last character does not match', html)
    assert count(Order) == 0 and count(Invoice) == 0


def test_a_business_customer_gets_a_b2b_invoice_pdf_at_a_signed_link(
        shopper, make_sweet, in_db, checkout_details):
    in_db(register_shop)
    shopper.add(make_sweet("Kaju Katli"), "1 kg", quantity=2)
    response = _place(shopper, checkout_details, buyer_gstin=BUYER_GSTIN.lower(),
                      buyer_business_name="Shetty Events LLP")
    assert response.status_code == 303
    tracking = shopper.client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/invoices/[^"]+)">Invoice (MS/\d\d-\d\d/\d{6})', tracking)
    assert link, "no invoice link on the tracking page"
    page = shopper.client.get(link.group(1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tax Invoice" in html and BUYER_GSTIN in html
    assert "Shetty Events LLP" in html and "Reverse charge" in html
    assert "Two Thousand Three Hundred Rupees Only" in html

    pdf = shopper.client.get(link.group(1) + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert link.group(2) in text and "₹2,300" in text and "₹2,190.48" in text
    assert "CGST" in text and BUYER_GSTIN in text

    # The "order placed" message carries the same link.
    body = in_db(lambda: Notification.query.filter_by(kind="order_placed").one().body)
    assert link.group(1) in body


def test_a_forged_or_tampered_invoice_link_is_not_found(client):
    assert client.get("/invoices/not-a-token").status_code == 404
    assert client.get("/invoices/WyJpIiwieCJd.abc.pdf").status_code == 404
