"""The owner's side of invoices: tax settings (checked field by field), the month's page,
the GSTR-1 CSVs that add up to the orders, and every page behind the sign-in."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from sweetshop.extensions import db
from sweetshop.formatting import KOLKATA
from sweetshop.models import Invoice, Product, ShopSettings
from sweetshop.services.orders import change_status
from tests.admin.helpers import token_from
from tests.factories import make_order, make_product
from tests.invoices.helpers import BUYER_GSTIN, SHOP_GSTIN, register_shop

TAX_FORM = {"gst_registration": "regular", "gstin": SHOP_GSTIN.lower(),
            "legal_name": "Mithaas Foods Private Limited", "state_code": "",
            "address": "14 Sampige Road\nBengaluru 560003", "fssai_number": "11223344556677",
            "invoice_prefix": "ms", "default_hsn": "1704", "default_gst_rate": "5",
            "delivery_sac": "996813", "delivery_gst_rate": "18"}


def _post_tax(client, **changes):
    data = {**TAX_FORM, **changes, "csrf_token": token_from(client, "/admin/settings/tax")}
    return client.post("/admin/settings/tax", data=data)


def test_the_owner_registers_the_shop_as_regular(owner_client, in_db):
    response = _post_tax(owner_client)
    assert response.status_code == 303
    settings = in_db(lambda: db.session.get(ShopSettings, 1))
    assert settings.gstin == SHOP_GSTIN and settings.state_code == "29"
    assert settings.invoice_prefix == "MS" and settings.delivery_gst_rate_bp == 1800


def test_bad_tax_settings_get_messages_by_the_field_and_change_nothing(owner_client, in_db):
    cases = {
        "gstin": dict(gstin="29AAGCM1234K1Z0"),
        "state_code": dict(state_code="27"),
        "default_hsn": dict(default_hsn="17"),
        "default_gst_rate": dict(default_gst_rate="7"),
        "fssai_number": dict(fssai_number="12345"),
        "invoice_prefix": dict(invoice_prefix="CN"),
        "legal_name": dict(legal_name=""),
    }
    for field, change in cases.items():
        response = _post_tax(owner_client, **change)
        assert response.status_code == 422, field
        html = response.get_data(as_text=True)
        assert re.search(rf'id="{field}-error">\S', html), field
    assert in_db(lambda: db.session.get(ShopSettings, 1).gst_registration) == "none"


def test_a_sweets_hsn_and_rate_are_checked(owner_client, in_db):
    product_id = in_db(lambda: make_product("Khatta Meetha").id)
    token = token_from(owner_client, "/admin/settings/tax")
    bad = owner_client.post(f"/admin/settings/tax/products/{product_id}",
                            data={"csrf_token": token, "hsn_code": "21", "gst_rate": "5"})
    assert bad.status_code == 422 and "4, 6 or 8 digits" in bad.get_data(as_text=True)
    good = owner_client.post(f"/admin/settings/tax/products/{product_id}",
                             data={"csrf_token": token, "hsn_code": "2106", "gst_rate": "12"})
    assert good.status_code == 303
    product = in_db(lambda: db.session.get(Product, product_id))
    assert (product.hsn_code, product.gst_rate_bp) == ("2106", 1200)


def _read_csv(client, month, section):
    response = client.get(f"/admin/invoices/export.csv?month={month}&section={section}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_months_csv_adds_up_to_the_orders(owner_client, in_db):
    def make_month():
        register_shop(delivery_fee_paise=4000)
        kaju = make_product("Kaju Katli", stock=50000)
        orders = [make_order((kaju, "500 g", 1)), make_order((kaju, "1 kg", 2), pincode="400001"),
                  make_order((kaju, "250 g", 3)), make_order((kaju, "1 kg", 1), pincode="110001")]
        hamper = make_product("Wedding Hamper", stock=50000, packs=(("Box", 1000, 20_00_000),))
        big = make_order((hamper, "Box", 6), pincode="400001")  # ₹1,20,000 elsewhere: B2CL
        from sweetshop.models import Order
        b2b = make_order((kaju, "1 kg", 3))
        db.session.get(Order, b2b.id).buyer_gstin = BUYER_GSTIN
        db.session.commit()
        change_status(orders[2].id, "cancelled", "owner", note="Customer asked")
        kept = [o for o in orders if o is not orders[2]] + [big, b2b]
        return sum(o.total_paise for o in kept), [o.id for o in orders]

    expected, _ = in_db(make_month)
    # b2b's GSTIN was set after its invoice: the invoice keeps what it was issued with
    month = datetime.now(KOLKATA).strftime("%Y-%m")
    summary = _read_csv(owner_client, month, "summary")
    total = summary[-1]
    assert total["Rate"] == "Total" and total["Invoices"] == "6" and total["Credit notes"] == "1"
    paise = lambda text: round(float(text) * 100)  # noqa: E731
    assert paise(total["Total Value"]) == expected
    assert paise(total["Taxable Value"]) + paise(total["Central Tax Amount"]) + paise(
        total["State/UT Tax Amount"]) + paise(total["Integrated Tax Amount"]) == expected
    hsn = _read_csv(owner_client, month, "hsn_b2c") + _read_csv(owner_client, month, "hsn_b2b")
    assert sum(paise(r["Total Value"]) for r in hsn) == expected
    b2cl = _read_csv(owner_client, month, "b2cl")
    assert len(b2cl) == 1 and b2cl[0]["Place Of Supply"] == "27-Maharashtra"
    b2cs = _read_csv(owner_client, month, "b2cs")
    assert {r["Place Of Supply"] for r in b2cs} == {"29-Karnataka", "27-Maharashtra", "07-Delhi"}
    docs = _read_csv(owner_client, month, "docs")
    assert [r["Total Number"] for r in docs] == ["6", "1"]
    assert docs[0]["Sr. No. From"] == "MS/" + docs[0]["Sr. No. From"][3:]

    page = owner_client.get(f"/admin/invoices?month={month}").get_data(as_text=True)
    assert "credit note" in page and "MS/" in page and "CN/" in page


def test_a_b2b_invoice_lands_in_the_b2b_section(owner_client, in_db):
    from sweetshop.services import cart as cart_service
    from sweetshop.services.checkout import CustomerDetails, new_idempotency_key, place_order
    from tests.factories import variant_named

    def make():
        register_shop()
        kaju = make_product("Kaju Katli")
        token, _ = cart_service.add_to_cart(None, variant_named(kaju, "1 kg").id, 2)
        order = place_order(token, CustomerDetails(
            name="Ravi", phone="+919876543299", address="Prestige Towers, Bengaluru",
            pincode="560025", buyer_gstin=BUYER_GSTIN, buyer_business_name="Shetty Events"),
            new_idempotency_key())
        change_status(order.id, "cancelled", "owner", note="Event postponed")
        return db.session.query(Invoice).filter_by(document_type="invoice").one().number

    number = in_db(make)
    month = datetime.now(KOLKATA).strftime("%Y-%m")
    b2b = _read_csv(owner_client, month, "b2b")
    assert [(r["GSTIN/UIN of Recipient"], r["Invoice Number"], r["Invoice Value"])
            for r in b2b] == [(BUYER_GSTIN, number, "2300.00")]
    cdnr = _read_csv(owner_client, month, "cdnr")
    assert len(cdnr) == 1 and cdnr[0]["Note Value"] == "2300.00"


def test_invoice_pages_need_a_signed_in_owner(client, in_db):
    for path in ("/admin/invoices", "/admin/invoices/export.csv", "/admin/invoices/1",
                 "/admin/invoices/1.pdf", "/admin/settings/tax"):
        response = client.get(path)
        assert response.status_code == 303 and "/admin/login" in response.headers["Location"]
    assert client.post("/admin/settings/tax", data=TAX_FORM).status_code in (303, 400)
