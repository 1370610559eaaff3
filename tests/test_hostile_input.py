"""Random and hostile input at every POST form and htmx endpoint (hypothesis).

Whatever arrives — NUL bytes, huge or negative numbers, other scripts, HTML, SQL-looking
text, missing or unknown fields, with or without htmx — the answer is never a 5xx, and a
refusal (4xx) changes nothing in the database. The same for every route that takes an id
(out-of-range ids are 404), for digits of other scripts and look-alikes ('²') in number
fields, for control characters in the sign-in's `next`, and for webhooks signed with the
test secrets whose bodies are deep, hold NUL, or arrive chunked.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.url_converters import IdConverter
from tests.conftest import TEST_CONFIG

WEBHOOK_SECRET = "made-up-webhook-secret-for-hostile-tests"
TWILIO_TOKEN = "made-up-twilio-token-for-hostile-tests"
PUBLIC_BASE_URL = "https://shop.example.in"

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
                     "98765 43210", "560038", "2026-02-30", "on", "true", "²", "1²", "①", "१००१",
                     "٣", "１２", "/admin/orders\r\nx", "\r\n"]),
    # Digits of every kind: decimal digits of other scripts (to accept) and look-alikes
    # such as superscripts (str.isdigit says yes, int() says no), with controls between.
    st.text(st.characters(categories=("Nd", "No", "Cc")), min_size=1, max_size=12),
)
form_data = st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8)


def _url_ids():
    return st.sampled_from([1, 2, 3, 999999, 0, 2**31 - 1, 2**31, 99999999999999999999])


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
    """The app without CSRF, so hostile values reach the validators behind it; webhook
    secrets made up here, so hostile bodies can be signed and get past the signature."""
    return create_app(dict(TEST_CONFIG, WTF_CSRF_ENABLED=False,
                           RAZORPAY_WEBHOOK_SECRET=WEBHOOK_SECRET,
                           TWILIO_AUTH_TOKEN=TWILIO_TOKEN, PUBLIC_BASE_URL=PUBLIC_BASE_URL))


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


# --- ids in URLs ----------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
OUT_OF_RANGE_IDS = ["0", str(2**31), str(2**63), "99999999999999999999", "-1", "01"]


def _rules_with_number_arguments(app):
    """Every URL rule with an argument that is a number: ours (<id:>) or Werkzeug's."""
    from werkzeug.routing.converters import NumberConverter

    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(c, (IdConverter, NumberConverter))
                   for c in rule._converters.values())]


def _fill(rule, hostile_argument: str, hostile_value: str) -> str:
    """The rule's path with `hostile_value` for one argument and a fitting value elsewhere."""
    def value(match):
        converter, options, name = match.groups()
        if name == hostile_argument:
            return hostile_value
        if converter == "any":
            return options.split(",")[0].strip().strip("'\"")
        if converter in ("id", "int"):
            return "1"
        return "x"
    return _ARGUMENT.sub(value, rule.rule)


def test_every_route_with_a_number_in_its_url_takes_ours(open_app):
    from werkzeug.routing.converters import NumberConverter

    rules = _rules_with_number_arguments(open_app)
    assert len(rules) >= 16  # the admin's products, packs, categories, orders, messages, ...
    werkzeugs = [r.rule for r in rules if any(isinstance(c, NumberConverter)
                                             for c in r._converters.values())]
    assert werkzeugs == [], "use <id:...> (sweetshop/url_converters.py), not <int:...>"


@settings(max_examples=8, deadline=None,  # each example tries every rule and method
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_out_of_range_ids_on_every_route_are_404(open_app, shop, data):
    """Each rule with a number argument, each method, each argument out of range: 404."""
    from werkzeug.routing.converters import NumberConverter

    for rule in _rules_with_number_arguments(open_app):
        for name, converter in rule._converters.items():
            if not isinstance(converter, (IdConverter, NumberConverter)):
                continue
            value = data.draw(st.one_of(st.sampled_from(OUT_OF_RANGE_IDS),
                                        st.integers(min_value=2**31).map(str)), label=rule.rule)
            path = _fill(rule, name, value)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = shop.open(path, method=method, data={"quantity": "1"})
                assert response.status_code == 404, (method, path, response.status_code)


# --- numbers people type ---------------------------------------------------------------------

@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.text(st.characters(categories=("Nd", "No", "Zs")), min_size=1, max_size=12),
       path=st.sampled_from(["/track", "/admin/products/1/packs", "/admin/products/1/stock"]),
       field=st.sampled_from(["number", "quantity", "low_stock_threshold", "amount"]))
def test_digits_of_any_kind_in_number_fields_never_fail(open_app, shop, number, path, field):
    response = shop.post(path, data={field: number, "phone": "98765 43210", "name": "Box",
                                     "price": "100", "mode": "add", "reason": "made"})
    assert response.status_code < 500, (path, field, number)


def test_an_order_number_typed_in_devanagari_digits_is_found(open_app, shop):
    # make_order's first order is number 1001, placed with this phone.
    from sweetshop.models import Order

    with open_app.app_context():
        order = db.session.query(Order).one()
        number, phone = order.number, order.phone
        db.session.remove()
    devanagari = "".join("०१२३४५६७८९"[int(d)] for d in str(number))
    response = open_app.test_client().post("/track", data={"number": devanagari,
                                                           "phone": phone})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    superscript = str(number)[:-1] + "²"  # str.isdigit() says yes; it is no order number
    assert open_app.test_client().post("/track", data={"number": superscript, "phone": phone}
                                       ).status_code == 422


def test_pincodes_and_codes_typed_in_devanagari_are_read_as_ascii(open_app):
    from werkzeug.datastructures import MultiDict

    from sweetshop.checkout.forms import CheckoutForm
    from sweetshop.lookup.forms import CodeForm

    with open_app.test_request_context(method="POST"):
        checkout = CheckoutForm(formdata=MultiDict({"pincode": "५६००३८"}))
        checkout.validate()
        assert checkout.pincode.data == "560038" and not checkout.pincode.errors
        code = CodeForm(formdata=MultiDict({"code": "४२ ०७ ९१"}))
        assert code.validate() and code.code.data == "420791"
        assert not CodeForm(formdata=MultiDict({"code": "42079²"})).validate()


# Every query parameter a view reads as a number (grep request.args in sweetshop/).
QUERY_NUMBERS = ["n", "page", "q", "category", "variant_id", "seen", "status"]


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(QUERY_NUMBERS), st.one_of(
    st.integers(min_value=2**31).map(str), st.integers(max_value=0).map(str), hostile_text),
    min_size=1, max_size=3))
def test_huge_numbers_in_query_strings_never_fail(open_app, shop, query):
    from twilio.request_validator import RequestValidator

    url = "/webhooks/twilio/status?" + urlencode(query)
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "ErrorCode": "30003"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + url, form)
    response = open_app.test_client().post(url, data=form,
                                           headers={"X-Twilio-Signature": signature})
    assert response.status_code != 403, "the test signs what the view checks"
    assert response.status_code < 500, (query, response.status_code)
    for page in ("/admin/orders", "/admin/products", "/my-orders", "/p/kaju-katli", "/"):
        assert shop.get(page, query_string=query).status_code < 500, (page, query)


# --- where the sign-in sends the owner next -------------------------------------------------

@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(next_url=st.builds("/admin/{}{}{}".format,
                          st.sampled_from(["orders", "products", ""]),
                          st.lists(st.sampled_from(["\r", "\n", "\r\n", "\x0b", "\x1b", "\x85",
                                                    "\u2028", "\t", "\x7f", "\x00"]),
                                   min_size=1, max_size=3).map("".join),
                          st.sampled_from(["x", "", "Set-Cookie: a=b"])))
@example(next_url="/admin/orders\nx")  # as the tester sent it: /admin/login?next=...%0Ax
def test_control_characters_in_next_never_reach_a_header(open_app, shop, next_url):
    client = open_app.test_client()
    response = client.post("/admin/login", data={"email": "owner@example.com",
                                                 "password": "a-long-password-1",
                                                 "next": next_url})
    if response.status_code == 400:  # NUL anywhere in a form is refused before sign-in
        assert "\x00" in next_url
        return
    assert response.status_code == 303, (next_url, response.status_code)
    location = response.headers["Location"]
    assert location.startswith("/admin/") and location.isprintable(), location


# --- webhooks, signed with the test secrets -------------------------------------------------

def _nested(depth: int, leaf) -> dict:
    event = leaf
    for _ in range(depth):
        event = {"a": [event]}
    return {"event": "payment.captured", "payload": event}


def _event(value) -> dict:
    return {"event": "payment.failed", "payload": {"payment": {"entity": {
        "id": "pay_Hostile00000001", "order_id": "order_Hostile0000001", "amount": 100,
        "currency": "INR", "status": "failed", "error_description": value,
        "notes": {"x": value}}}}}


webhook_bodies = st.one_of(
    st.integers(1, 60).map(lambda d: json.dumps(_nested(d, 1))),  # about MAX_DEPTH
    st.integers(1, 40_000).map(lambda d: '{"event":"x","p":' + "[" * d + "]" * d + "}"),
    st.text(max_size=30).map(lambda t: json.dumps(_event(t))),
    st.text(max_size=30).map(lambda t: json.dumps(_event(t + "\x00"))),     # \u0000 escaped
    st.text(max_size=30).map(lambda t: json.dumps(_event(t), ensure_ascii=False)
                             .replace('"failed"', '"fai\x00led"', 1)),      # a raw NUL byte
    st.sampled_from(['{"event": "\\u0000"}', '{"\\u0000": 1}', "[]", "null", '"x"', "1e999",
                     "{" * 100, '{"event": "' + "9" * 5000 + '"}',
                     '{"a": ' + "9" * 5000 + "}"]),
)


def _signed_razorpay(client, body: bytes, event_id: str, chunked: bool = False):
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": event_id,
               "Content-Type": "application/json"}
    if chunked:  # as gunicorn hands over a chunked body: no length, the server ends the input
        return client.post("/webhooks/razorpay", input_stream=io.BytesIO(body),
                           headers={**headers, "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    return client.post("/webhooks/razorpay", data=body, headers=headers)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=webhook_bodies, chunked=st.booleans())
def test_signed_webhooks_with_hostile_bodies_never_fail_and_never_retry(open_app, body,
                                                                        chunked):
    from sweetshop.models import WebhookEvent
    from sweetshop.services import payments

    client = open_app.test_client()
    event_id = "evt_" + hashlib.sha1(body.encode()).hexdigest()[:20] + str(int(chunked))
    response = _signed_razorpay(client, body.encode(), event_id, chunked)
    assert response.status_code in (200, 400, 413), (body[:200], response.status_code)
    with open_app.app_context():
        row = db.session.query(WebhookEvent).filter_by(event_id=event_id).one_or_none()
        assert (row is not None) == (response.status_code == 200)
        if row is not None:
            stored = json.dumps(json.loads(row.body), ensure_ascii=False)
            assert "\x00" not in row.body + stored
            # The job must close the event, never leave it for the sweeper to retry.
            assert payments.process_webhook_event(row.id) != "retry", row.error
        db.session.remove()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_webhook_body_over_the_cap_is_refused_chunked_or_not(open_app, chunked):
    from sweetshop.models import WebhookEvent

    body = json.dumps({"event": "payment.captured", "pad": "x" * (256 * 1024)}).encode()
    response = _signed_razorpay(open_app.test_client(), body, "evt_too_big", chunked)
    assert response.status_code == 413
    with open_app.app_context():
        assert db.session.query(WebhookEvent).count() == 0
        db.session.remove()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_twilio_callback_over_the_cap_is_refused_chunked_or_not(open_app, chunked):
    body = ("MessageSid=SM" + "1" * 32 + "&MessageStatus=delivered&pad=" + "x" * 70_000).encode()
    headers = {"X-Twilio-Signature": "x", "Content-Type": "application/x-www-form-urlencoded"}
    client = open_app.test_client()
    if chunked:
        response = client.post("/webhooks/twilio/status", input_stream=io.BytesIO(body),
                               headers={**headers, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
    else:
        response = client.post("/webhooks/twilio/status", data=body, headers=headers)
    assert response.status_code == 413
