"""The installable admin in Chromium at phone size: the manifest is valid, the service
worker registers on /admin/ (and the storefront registers none), the offline page shows
with the network down, and "Alert this device" subscribes this browser.

Headless Chromium has no push service (Chrome's is Google's, unreachable here), so
pushManager.subscribe is replaced by one that hands back a subscription of the local fake
push service, with keys made as a browser makes them; everything after that is real: our
page's script posts it, the server stores it, a customer's order makes pywebpush sign and
encrypt a push to the fake service, which checks and decrypts it; the decrypted push is
then delivered to our service worker through the DevTools protocol, and the notification
it shows is read back. With nobody accepting, fake Twilio sees one reminder, then one call;
pressing 1 accepts the order and nothing further is sent."""
from __future__ import annotations

import base64
import json
import re

from playwright.sync_api import expect

from sweetshop.extensions import db
from sweetshop.models import Order, OrderStatus, PushSubscription
from sweetshop.services import alerts
from sweetshop.services.admin_auth import create_or_reset_admin
from tests.alerts.conftest import clock, fake_twilio, push_service  # noqa: F401 (fixtures)
from tests.alerts.helpers import place_order, rows, run_outbox, twilio_post

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"
SHOTS = "/tmp/alerts-shots"

STUB_PUSH = """
(function (subscription) {
  var stub = { endpoint: subscription.endpoint, options: {},
               toJSON: function () { return subscription; },
               unsubscribe: function () { window.__unsubscribed = true; return Promise.resolve(true); } };
  PushManager.prototype.subscribe = function (options) {
    sessionStorage.setItem("serverKey", JSON.stringify(Array.from(new Uint8Array(options.applicationServerKey))));
    sessionStorage.setItem("subscribed", "1");
    return Promise.resolve(stub);
  };
  PushManager.prototype.getSubscription = function () {
    return Promise.resolve(sessionStorage.getItem("subscribed") ? stub : null);
  };
})(%s);
"""


def _sign_in(page, live_server):
    page.goto(live_server + "/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def _scope(page) -> str:
    return page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")


def test_the_admin_installs_with_a_service_worker_and_the_storefront_gets_none(
        app, browser):
    import threading

    from werkzeug.serving import make_server

    from tests.browser.conftest import _page

    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
        db.session.remove()
    # A server of its own, stopped below: the network really goes away under the worker.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    live_server = f"http://127.0.0.1:{server.server_port}"
    context, page = _page(browser, javascript=True)
    try:
        _sign_in(page, live_server)
        assert _scope(page) == live_server + "/admin/"
        manifest_url = page.eval_on_selector("link[rel=manifest]", "l => l.href")
        manifest = page.evaluate(f"fetch('{manifest_url}').then(r => r.json())")
        assert manifest["scope"] == "/admin/" and manifest["start_url"] == "/admin/"
        for icon in manifest["icons"]:
            size = page.evaluate("""src => new Promise(ok => { const i = new Image();
                i.onload = () => ok(i.naturalWidth + 'x' + i.naturalHeight); i.src = src; })""",
                                 icon["src"])
            assert size == icon["sizes"]
        page.reload()
        assert page.evaluate("!!navigator.serviceWorker.controller")

        page.goto(live_server + "/admin/orders")
        expect(page.get_by_role("heading", name="Orders")).to_be_visible()
        # Offline: the worker answers a page with the offline page, never a cached admin page.
        server.shutdown()
        server.server_close()
        page.goto(live_server + "/admin/orders")
        expect(page.get_by_role("heading", name="No connection")).to_be_visible()
        assert "Orders" not in page.locator("h1").all_text_contents()
        page.screenshot(path=f"{SHOTS}/admin-offline-360.png", full_page=True)
    finally:
        context.close()


def test_the_storefront_registers_no_service_worker(live_server, phone):
    page = phone
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    assert page.locator("link[rel=manifest]").count() == 0


def test_done_when_an_alerted_phone_gets_the_push_then_a_reminder_then_a_call(
        app, live_server, browser, push_service, fake_twilio, clock):  # noqa: F811
    from tests.browser.conftest import _page

    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
        db.session.remove()
    subscription = push_service.new_subscription()
    context, page = _page(browser, javascript=True)
    context.grant_permissions(["notifications"], origin=live_server)
    page.add_init_script(STUB_PUSH % json.dumps(subscription))
    try:
        _sign_in(page, live_server)
        page.goto(live_server + "/admin/alerts")
        button = page.get_by_role("button", name="Alert this device")
        expect(button).to_be_visible()
        page.screenshot(path=f"{SHOTS}/alerts-before-360.png", full_page=True)
        button.click()
        expect(page.get_by_role("button", name=re.compile("^Stop alerts on Chrome"))).to_be_visible()
        page.screenshot(path=f"{SHOTS}/alerts-device-360.png", full_page=True)
        # The page asked for a subscription with the shop's VAPID public key.
        key = bytes(page.evaluate("JSON.parse(sessionStorage.getItem('serverKey') || '[]')"))
        assert base64.urlsafe_b64encode(key).rstrip(b"=").decode() == app.config["VAPID_PUBLIC_KEY"]

        # A customer orders: one valid, decryptable push reaches the push service.
        with app.app_context():
            assert db.session.query(PushSubscription).count() == 1
            order = place_order(phones="+919811112222")
            order_id, number = order.id, order.number
            clock.at(0)
            run_outbox()
            db.session.remove()
        [received] = push_service.pushes
        payload = received["payload"]
        assert payload["title"] == f"New order #{number} · ₹580"

        # The browser gets it: the service worker shows the notification with Accept.
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated",
               lambda event: registrations.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        for _ in range(100):  # the worker's registration event (slow on a loaded machine)
            if any(r["scopeURL"].endswith("/admin/") for r in registrations):
                break
            page.wait_for_timeout(100)
        registration = next(r for r in registrations if r["scopeURL"].endswith("/admin/"))
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server, "registrationId": registration["registrationId"],
            "data": json.dumps(payload)})
        shown = page.evaluate("""() => new Promise(ok => { let n = 0; const look = () =>
            navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => {
              if (list.length || ++n > 200) ok(list.map(x => ({title: x.title, tag: x.tag,
                actions: (x.actions || []).map(a => a.title), url: x.data.url})));
              else setTimeout(look, 100); }); look(); })""")
        assert shown == [{"title": payload["title"], "tag": f"order-{order_id}",
                          "actions": ["Accept"], "url": payload["url"]}]

        # Nobody accepts: one reminder at minute 3, one call at minute 8.
        with app.app_context():
            for minute in (3, 3, 5, 8, 8, 9):
                clock.at(minute)
                alerts.tick()
                run_outbox()
            reminders = [m for m in fake_twilio.messages if m["body"].startswith("Reminder:")]
            assert len(reminders) == 1 and len(fake_twilio.calls) == 1
            call_id = rows(kind="owner_call")[0].id
            db.session.remove()

        # Pressing 1 on the call accepts the order; nothing further is sent.
        client = app.test_client()
        pressed = twilio_post(client, f"/webhooks/twilio/voice/keys?n={call_id}", {"Digits": "1"})
        assert "is accepted" in pressed.get_data(as_text=True)
        with app.app_context():
            run_outbox()  # the customer's "accepted" message
            sent_before = (len(push_service.pushes), len(fake_twilio.messages),
                           len(fake_twilio.calls))
            for minute in (10, 20, 60):
                clock.at(minute)
                alerts.tick()
                run_outbox()
            order = db.session.get(Order, order_id)
            assert order.status is OrderStatus.ACCEPTED
            customer = [m for m in fake_twilio.messages if "is accepted" in m["body"]]
            assert len(customer) == 1  # the customer's "accepted" message, once
            assert (len(push_service.pushes), len(fake_twilio.calls)) == sent_before[::2]
            assert len(fake_twilio.messages) == sent_before[1]
            db.session.remove()

        page.goto(live_server + f"/admin/orders/{order_id}")
        expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
        page.screenshot(path=f"{SHOTS}/order-alerts-360.png", full_page=True)
    finally:
        context.close()
