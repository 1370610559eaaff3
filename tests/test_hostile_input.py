"""Random and hostile input at every POST form and htmx endpoint (hypothesis).

Whatever arrives — NUL bytes, huge or negative numbers, other scripts, HTML, SQL-looking
text, missing or unknown fields, with or without htmx — the answer is never a 5xx, and a
refusal (4xx) changes nothing in the database.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from sweetshop import create_app
from sweetshop.extensions import db
from tests.conftest import TEST_CONFIG

# Every field name our forms use, plus a few that no form has.
FIELDS = """active add_pack address amount basket category_id cod_max_paise code date_from date_to
delivery_fee_paise description direction email expected_from free_delivery_above_paise
idempotency_key is_open low_stock_threshold min_order_paise mode name next note
notify_whatsapp number owner_phones page password payment_method phone pincode price q
quantity reason serviceable_pincodes status to_status unit variant_id total_paise
price_paise stock razorpay_payment_id razorpay_order_id razorpay_signature""".split()

# Tables that record attempts by design (a refused sign-in is still an attempt).
ATTEMPT_TABLES = {"login_attempt", "admin_session", "lookup_code", "lookup_attempt", "cart",
                  "cart_line", "alembic_version"}

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "0", "-1", "-999999999999", "99999999999999999999",
                     "1e9", "NaN", "1.5", "₹1,150", "<script>alert(1)</script>",
                     "' OR 1=1 --", "../../etc/passwd", "%00", "🍬" * 50, "a" * 10_000,
                     "placed", "delivered", "online", "cod", "up", "down", "+919876543210",
                     "98765 43210", "560038", "2026-02-30", "on", "true"]),
)
form_data = st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8)


def _url_ids():
    return st.sampled_from([1, 2, 3, 999999, 0, 2**31 - 1])


def _post_paths():
    return st.one_of(
        st.sampled_from(["/cart/add", "/cart/update", "/checkout", "/my-orders/code",
                         "/my-orders/verify", "/track", "/my-orders/sign-out", "/admin/login",
                         "/admin/products/new", "/admin/categories", "/admin/settings",
                         "/admin/logout"]),
        st.builds("/my-orders/{}/reorder".format, st.sampled_from([1001, 0, 99999999])),
        st.builds("/orders/{}/pay".format, st.sampled_from(["x", "a" * 43, "%00"])),
        st.builds("/orders/{}/pay/cod".format, st.sampled_from(["x", "a" * 43])),
        st.builds("/admin/products/{}".format, _url_ids()),
        st.builds("/admin/products/{}/packs".format, _url_ids()),
        st.builds("/admin/products/{}/stock".format, _url_ids()),
        st.builds("/admin/products/{}/packs/{}".format, _url_ids(), _url_ids()),
        st.builds("/admin/products/{}/packs/{}/{}".format, _url_ids(), _url_ids(),
                  st.sampled_from(["hide", "show", "default", "up", "down"])),
        st.builds("/admin/categories/{}".format, _url_ids()),
        st.builds("/admin/categories/{}/{}".format, _url_ids(), st.sampled_from(["up", "down"])),
        st.builds("/admin/orders/{}/status".format, _url_ids()),
        st.builds("/admin/orders/{}/refund".format, _url_ids()),
        st.builds("/admin/messages/{}/resend".format, _url_ids()),
    )


@pytest.fixture(scope="module")
def open_app(app):
    """The app without CSRF, so hostile values reach the validators behind it."""
    return create_app(dict(TEST_CONFIG, WTF_CSRF_ENABLED=False))


@pytest.fixture
def shop(open_app):
    """A demo catalogue, an order, and a signed-in owner client."""
    from sweetshop.demo import seed_demo
    from sweetshop.services.admin_auth import create_or_reset_admin
    from tests.factories import make_order

    with open_app.app_context():
        seed_demo()
        create_or_reset_admin("owner@example.com", "a-long-password-1")
        from sweetshop.models import Product
        kaju = db.session.query(Product).filter_by(name="Kaju Katli").one()
        make_order((kaju, "500 g", 1))
        db.session.remove()
    owner = open_app.test_client()
    assert owner.post("/admin/login", data={"email": "owner@example.com",
                                            "password": "a-long-password-1"}).status_code == 303
    return owner


def _snapshot(app) -> dict[str, str]:
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in ATTEMPT_TABLES]
        result = {}
        for name in tables:
            result[name] = db.session.execute(text(
                f'SELECT md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) '
                f'FROM "{name}" t')).scalar_one()
        db.session.remove()
        return result


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=_post_paths(), data=form_data, htmx=st.booleans(), as_owner=st.booleans())
def test_hostile_posts_never_fail_and_refusals_change_nothing(open_app, shop, path, data, htmx,
                                                             as_owner):
    client = shop if as_owner else open_app.test_client()
    before = _snapshot(open_app)
    response = client.post(path, data=data, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500, (path, data, response.get_data(as_text=True)[:500])
    if 400 <= response.status_code < 500:
        assert _snapshot(open_app) == before, (path, data, response.status_code)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/", "/p/kaju-katli", "/cart", "/checkout", "/my-orders",
                             "/track", "/admin/orders", "/admin/products", "/admin/"]),
       query=st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=4),
       htmx=st.booleans())
def test_hostile_query_strings_never_fail(open_app, shop, path, query, htmx):
    response = shop.get(path, query_string=query,
                        headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code < 500, (path, query, response.get_data(as_text=True)[:500])
