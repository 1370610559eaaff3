"""The installable admin's files, the Alerts page: devices ("Alert this device", "Stop
alerts") and the escalation settings, as a signed-in owner's browser uses them."""
import json
import re

from sweetshop.extensions import db
from sweetshop.models import PushSubscription
from sweetshop.services.shop import get_settings
from tests.admin.helpers import csrf_token_in, post_form, token_from
from tests.fakes.push_service import FakePushService


def test_the_manifest_makes_the_admin_installable(client):
    response = client.get("/admin/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/admin/" and manifest["scope"] == "/admin/"
    assert manifest["display"] == "standalone" and manifest["theme_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_is_served_for_the_admin_scope_and_never_cached_stale(client):
    response = client.get("/admin/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/admin/"
    assert response.headers["Cache-Control"] == "no-store"
    script = response.get_data(as_text=True)
    urls = json.loads(re.search(r"var OFFLINE_URLS = (\[.*?\]);", script).group(1))
    assert urls[0] == "/admin/offline"  # only the offline page and its styles are kept
    assert all(u == "/admin/offline" or u.startswith("/static/") for u in urls)
    assert client.get("/admin/offline").status_code == 200


def test_the_storefront_registers_no_service_worker(client):
    page = client.get("/").get_data(as_text=True)
    assert "admin-alerts.js" not in page and "serviceWorker" not in page
    assert 'rel="manifest"' not in page


def test_an_owner_alerts_a_device_and_stops_it(app, owner_client, in_db):
    page = owner_client.get("/admin/alerts")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alert this device" in html and "No device of yours gets alerts yet." in html
    token = csrf_token_in(html)
    with FakePushService("unused") as push:
        subscription = push.new_subscription()
    refused = owner_client.post("/admin/alerts/devices", json=subscription)
    assert refused.status_code == 400  # no CSRF token: refused like any form
    added = owner_client.post("/admin/alerts/devices", json=subscription,
                              headers={"X-CSRFToken": token,
                                       "User-Agent": "Mozilla/5.0 (Linux; Android 14) "
                                                     "Chrome/140.0 Mobile Safari/537.36"})
    assert added.status_code == 201 and added.json["label"] == "Chrome on Android"
    again = owner_client.post("/admin/alerts/devices", json=subscription,
                              headers={"X-CSRFToken": token})
    assert again.status_code == 201  # the same browser again: one device, refreshed
    assert in_db(lambda: db.session.query(PushSubscription).count()) == 1
    html = owner_client.get("/admin/alerts").get_data(as_text=True)
    assert "Stop alerts" in html
    device_id = added.json["id"]
    stopped = post_form(owner_client, f"/admin/alerts/devices/{device_id}/stop", {},
                        page="/admin/alerts")
    assert stopped.status_code == 303
    assert in_db(lambda: db.session.query(PushSubscription).count()) == 0


def test_a_subscription_that_is_not_one_is_refused(owner_client):
    token = token_from(owner_client, "/admin/alerts")
    bad = owner_client.post("/admin/alerts/devices", headers={"X-CSRFToken": token},
                            json={"endpoint": "https://push.example/x",
                                  "keys": {"p256dh": "short", "auth": "short"}})
    assert bad.status_code == 422 and not bad.json["ok"]
    plain_http = owner_client.post("/admin/alerts/devices", headers={"X-CSRFToken": token},
                                   json={"endpoint": "http://evil.example/x", "keys": {}})
    assert plain_http.status_code == 422


def test_the_alerts_page_needs_a_signed_in_owner(client):
    assert client.get("/admin/alerts").status_code == 303
    assert client.post("/admin/alerts/devices", json={}).status_code in (303, 400)


def test_the_escalation_settings_are_saved_and_checked(owner_client, in_db):
    saved = post_form(owner_client, "/admin/alerts", {
        "alert_reminder_minutes": "5", "alert_call_minutes": "12", "alert_language": "hi",
        "alert_at_night": "y", "auto_accept": "y", "auto_accept_from": "09:00",
        "auto_accept_until": "21:00"})
    assert saved.status_code == 303
    settings = in_db(lambda: (lambda s: (s.alert_reminder_minutes, s.alert_call_minutes,
                                         s.alert_language, s.alert_at_night, s.auto_accept,
                                         str(s.auto_accept_from)))(get_settings()))
    assert settings == (5, 12, "hi", True, True, "09:00:00")
    bad = post_form(owner_client, "/admin/alerts", {
        "alert_reminder_minutes": "10", "alert_call_minutes": "4", "alert_language": "en"})
    assert bad.status_code == 422
    assert "The call comes after the reminder" in bad.get_data(as_text=True)
