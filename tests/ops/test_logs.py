"""Issue 18, logs: one structured line per request, the request id carried into the jobs it
enqueued, and no personal data anywhere in the log of a whole order flow."""
from __future__ import annotations

import json
import logging
import re

from rq import Queue

from sweetshop.extensions import db, redis_conn
from sweetshop.logs import JsonFormatter, TextFormatter, log_context, mask_phone, scrub
from sweetshop.models import Order

PHONE_E164 = "+919876543210"


def run_queued_jobs(app):
    """Run every queued job here, as the worker would: inside the job's log context."""
    with app.app_context():
        for name in ("notifications", "default"):
            queue = Queue(name, connection=redis_conn.client())
            for job in queue.jobs:
                with log_context(job_id=job.id, request_id=(job.meta or {}).get("request_id")):
                    job.perform()
                queue.remove(job)
        db.session.remove()


def test_a_phone_is_masked_to_its_first_two_and_last_three_digits():
    assert mask_phone("+919876543210") == "+91 98•••••210"
    assert mask_phone("9876543210") == "+91 98•••••210"
    assert scrub("to whatsapp:+919876543210 and 98765 43210, +91 98765-43210?") == \
        "to whatsapp:+91 98•••••210 and +91 98•••••210, +91 98•••••210?"
    assert "9876543210" not in scrub("sms 09876543210 / 919876543210")
    assert scrub("redis://:hunter2@cache:6379/0") == "redis://:•••@cache:6379/0"
    assert scrub("owner asha.rao@example.com") == "owner a•••@example.com"
    assert scrub("order 1001 for 2 boxes at 12:30") == "order 1001 for 2 boxes at 12:30"


def _record(message, **extra):
    record = logging.LogRecord("sweetshop.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_json_line_has_its_time_with_offset_and_the_request_fields():
    line = json.loads(JsonFormatter().format(_record(
        "GET storefront.index 200", request_id="abc123", route="storefront.index",
        status=200, duration_ms=3.2, client="127.0.0.1", who="anonymous", method="GET")))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+05:30", line["time"])
    assert line["request_id"] == "abc123" and line["route"] == "storefront.index"
    assert line["status"] == 200 and line["who"] == "anonymous"


def test_a_text_line_is_readable_and_says_its_offset():
    text = TextFormatter().format(_record("Periodic: {}", request_id="abc123"))
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+05:30 INFO sweetshop.test: "
                    r"Periodic: \{\} \[request_id=abc123\]$", text)


def test_each_request_writes_one_line_with_route_name_not_path(client, captured_log, make_sweet):
    sweet = make_sweet("Kaju Katli", stock=1000)
    response = client.get(f"/p/{sweet.slug}")
    assert response.status_code == 200

    (line,) = [entry for entry in captured_log.lines if entry["logger"] == "sweetshop.request"]
    assert line["route"] == "storefront.show_product" and sweet.slug not in json.dumps(line)
    assert line["method"] == "GET" and line["status"] == 200 and line["who"] == "anonymous"
    assert line["duration_ms"] >= 0 and line["client"] == "127.0.0.1"
    assert response.headers["X-Request-ID"] == line["request_id"]


def test_a_request_id_is_taken_from_a_trusted_proxy_only(app, client, captured_log):
    client.get("/ping", headers={"X-Request-ID": "from-the-client-1234"})
    assert captured_log.lines[-1]["request_id"] != "from-the-client-1234"

    from sweetshop import create_app
    from tests.conftest import TEST_CONFIG
    proxied = create_app({**TEST_CONFIG, "TRUSTED_PROXIES": 1}).test_client()
    response = proxied.get("/ping", headers={"X-Request-ID": "from-the-proxy-1234"})
    assert response.headers["X-Request-ID"] == "from-the-proxy-1234"
    assert captured_log.lines[-1]["request_id"] == "from-the-proxy-1234"
    response = proxied.get("/ping", headers={"X-Request-ID": "bad id, with spaces and {braces}"})
    assert response.headers["X-Request-ID"] != "bad id, with spaces and {braces}"


def test_a_whole_order_flow_logs_no_personal_data(app, shopper, customer, codes, make_sweet,
                                                  checkout_details, shop_settings, in_db,
                                                  captured_log):
    shop_settings(owner_phones="+919811112222")
    kaju = make_sweet("Kaju Katli", stock=4000)
    shopper.add(kaju, "500 g", quantity=2)
    cart_token = shopper.client.get_cookie("cart").value
    bad = shopper.client.post("/checkout", data={**checkout_details, **shopper.checkout_form(),
                                                 "pincode": "12"})
    assert bad.status_code == 422
    placed = shopper.client.post("/checkout", data={**checkout_details, **shopper.checkout_form()})
    assert placed.status_code == 303
    order_page = shopper.client.get(placed.headers["Location"])
    assert order_page.status_code == 200
    order_token = in_db(lambda: db.session.query(Order).one().public_token)
    checkout_request_id = placed.headers["X-Request-ID"]

    customer.sign_in(PHONE_E164)  # My orders: phone, one-time code, verify
    assert customer.client.get("/my-orders").status_code == 200
    run_queued_jobs(app)  # the messages: order placed, the owner's alert, the code

    lines = captured_log.lines
    everything = captured_log.text
    console = [line for line in lines if line["logger"] == "sweetshop.console_messages"]
    others = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines
                       if line["logger"] != "sweetshop.console_messages")
    assert len([line for line in lines if line["logger"] == "sweetshop.request"]) >= 8
    # The phone number, masked everywhere, the console messenger's lines included.
    for form in (PHONE_E164, "9876543210", "98765 43210", "98765-43210", "9811112222"):
        assert form not in everything, form
    assert "+91 98•••••210" in everything
    # Address, name, code, cart and order tokens, cookies: nowhere but the console
    # messenger's text, which says what it is.
    session_cookie = customer.client.get_cookie("session")
    secrets = {"address": checkout_details["address"], "street": "MG Road",
               "name": checkout_details["name"], "code": codes[-1], "cart token": cart_token,
               "order token": order_token, "note": checkout_details["note"]}
    if session_cookie is not None:
        secrets["session cookie"] = session_cookie.value
    for what, secret in secrets.items():
        assert secret not in others, what
    assert console and all(line["message"].startswith(
        "[development console: message text shown in full]") for line in console)
    # The jobs' lines carry the id of the request that enqueued them.
    order_jobs = [line for line in lines if line.get("job_id", "").startswith("notification-")
                  and line.get("request_id") == checkout_request_id]
    assert order_jobs, lines
    assert {line["who"] for line in lines if line["logger"] == "sweetshop.request"} >= {
        "anonymous", "customer"}
