"""Every role against the whole URL map: what each may not reach is refused (403 page, or
401 + HX-Redirect for htmx) before anything runs; what it may reach is not refused."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from sweetshop.extensions import db
from sweetshop.models import AuditEvent, Order, Refund, ShopSettings
from sweetshop.permissions import PERMISSIONS, allowed
from tests.admin.helpers import csrf_token_in, token_from
from tests.admin.test_auth import staff_requests

ROLES = ["counter", "delivery"]


def walk(app):
    """The staff URL map, signing out last (it would end the walk's session)."""
    adapter = app.url_map.bind("localhost")
    # The endpoint a request is dispatched to (an OPTIONS or HEAD is answered by the first
    # rule of that URL, e.g. the GET page beside its POST).
    found = [(adapter.match(url, method)[0], method, url) for _, method, url in
             staff_requests(app)]
    return sorted(found, key=lambda r: r[0] == "admin.logout")


def test_the_walk_covers_the_admin_and_the_delivery_view(app):
    walked = {(endpoint, url) for endpoint, _, url in staff_requests(app)}
    endpoints = {e for e, _ in walked}
    assert {"admin.dashboard", "admin.edit_settings", "admin.refund_order", "admin.list_staff",
            "admin.cash_report", "admin.edit_cod_settings", "admin.audit_log",
            "delivery.list_deliveries", "delivery.deliver"} <= endpoints


def test_every_listed_endpoint_exists(app):
    # A typo in the table would silently leave a page owner-only (safe) but unusable.
    assert set(PERMISSIONS) <= set(app.view_functions)


def _token(client, who):
    return token_from(client, "/delivery" if who == "delivery" else "/admin/")


@pytest.mark.parametrize("who", ROLES)
def test_every_url_a_role_may_not_reach_is_refused_with_a_403_page(app, client_as, who):
    client = client_as(who)
    token = _token(client, who)
    refused = 0
    for endpoint, method, url in walk(app):
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token})
        if allowed(who, endpoint):
            assert response.status_code != 403, (who, method, url)
            continue
        refused += 1
        assert response.status_code == 403, (who, method, url, response.status_code)
        if method not in ("HEAD", "OPTIONS"):
            assert "Not for your role" in response.get_data(as_text=True), (method, url)
    assert refused > 10


@pytest.mark.parametrize("who", ROLES)
def test_every_url_a_role_may_not_reach_tells_htmx_to_go_home(app, client_as, who):
    client = client_as(who)
    token = _token(client, who)
    home = "/delivery" if who == "delivery" else "/admin/"
    for endpoint, method, url in walk(app):
        if allowed(who, endpoint):
            continue
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token, "HX-Request": "true"})
        assert response.status_code == 401, (who, method, url, response.status_code)
        assert urlsplit(response.headers["HX-Redirect"]).path == home, (method, url)


def test_the_owner_is_refused_nothing(app, client_as):
    client = client_as("owner")
    token = token_from(client, "/admin/")
    for _, method, url in walk(app):
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token})
        assert response.status_code not in (401, 403), (method, url, response.status_code)


def test_an_endpoint_missing_from_the_table_is_the_owners_alone():
    assert allowed("owner", "admin.some_page_added_tomorrow")
    assert not allowed("counter", "admin.some_page_added_tomorrow")
    assert not allowed("delivery", "admin.some_page_added_tomorrow")
    assert not allowed("intruder", "admin.dashboard")


def test_a_counter_cannot_open_settings_or_refund_and_nothing_changes(app, client_as, in_db):
    from tests.factories import make_order, make_product

    def setup():
        order = make_order((make_product("Kaju Katli"), "500 g", 1))
        return order.id
    order_id = in_db(setup)
    client = client_as("counter")
    assert client.get("/admin/settings").status_code == 403
    token = csrf_token_in(client.get(f"/admin/orders/{order_id}").get_data(as_text=True))
    before = in_db(lambda: db.session.get(ShopSettings, 1).name if db.session.get(
        ShopSettings, 1) else None)
    assert client.post("/admin/settings", data={"csrf_token": token, "name": "Hacked",
                                                "is_open": "closed"}).status_code == 403
    assert client.post(f"/admin/orders/{order_id}/refund", data={
        "csrf_token": token, "amount": "100", "idempotency_key": "k" * 20}).status_code == 403
    assert in_db(lambda: db.session.get(ShopSettings, 1).name if db.session.get(
        ShopSettings, 1) else None) == before
    assert in_db(lambda: db.session.query(Refund).count()) == 0
    # ...but the counter does move orders along, and that is recorded under their name.
    response = client.post(f"/admin/orders/{order_id}/status", data={
        "csrf_token": token, "to_status": "accepted", "expected_from": "placed"})
    assert response.status_code == 303
    assert in_db(lambda: db.session.get(Order, order_id).status.value) == "accepted"
    event = in_db(lambda: db.session.query(AuditEvent).filter_by(kind="status").one())
    assert event.actor == "Kiran Das" and event.staff_id is not None


def test_a_delivery_person_lands_on_their_view_and_sees_only_it(app, client_as):
    client = client_as("delivery")
    assert client.get("/admin/login").headers["Location"].endswith("/delivery")
    page = client.get("/delivery").get_data(as_text=True)
    assert "My deliveries" in page
    assert "/admin/orders" not in page and "/admin/settings" not in page  # not in their menu


def test_deactivating_someone_ends_their_session_at_once(app, client_as, staff, in_db):
    from sweetshop.admin import Actor
    from sweetshop.services import staff as staff_service

    ravi = client_as("delivery")
    assert ravi.get("/delivery").status_code == 200
    in_db(lambda: staff_service.set_active(staff["delivery"], False,
                                           Actor("Meera Shah", staff["owner"], "owner")))
    response = ravi.get("/delivery")
    assert response.status_code == 303 and "/admin/login" in response.headers["Location"]
