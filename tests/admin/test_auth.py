"""Owner sign-in: every admin URL closed to strangers, sessions, throttling, cookies, CLI."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from sweetshop.admin import PUBLIC_ENDPOINTS, SESSION_KEY
from sweetshop.extensions import db
from sweetshop.models import AdminSession, LoginAttempt, utcnow
from sweetshop.services import admin_auth
from sweetshop.services.errors import DomainError
from sweetshop.url_converters import IdConverter
from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD, sign_in, token_from

# --- every admin URL is closed to anyone not signed in --------------------------------------

def _sample(converter):
    """A value the URL rule accepts: 1 for numbers, "x" for text, a listed value for any()."""
    if isinstance(converter, (IntegerConverter, IdConverter)):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def admin_requests(app):
    """(method, url) for every method of every /admin rule but the sign-in page."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            values = {name: _sample(rule._converters.get(name)) for name in rule.arguments}
            url = url_for(rule.endpoint, **values)
            found += [(method, url) for method in sorted(rule.methods)]
    return found


def test_the_walk_covers_the_admin_pages(app):
    walked = {url for _, url in admin_requests(app)}
    assert {"/admin/", "/admin/orders", "/admin/orders/1", "/admin/settings",
            "/admin/orders/waiting", "/admin/logout"} <= walked


@pytest.fixture
def stranger(app):
    """Someone not signed in, but holding a valid CSRF token (from the sign-in page), so
    that the refusal we see is the sign-in check and not the CSRF check."""
    client = app.test_client()
    return client, token_from(client, "/admin/login")


def test_every_admin_url_sends_strangers_to_sign_in(app, stranger):
    client, token = stranger
    for method, url in admin_requests(app):
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 303, (method, url, response.status_code)
        assert urlsplit(response.headers["Location"]).path == "/admin/login", (method, url)


def test_every_admin_url_tells_htmx_to_go_to_sign_in(app, stranger):
    client, token = stranger
    for method, url in admin_requests(app):
        response = client.open(url, method=method, data={"csrf_token": token},
                               headers={"X-CSRFToken": token, "HX-Request": "true"})
        assert response.status_code == 401, (method, url, response.status_code)
        assert urlsplit(response.headers["HX-Redirect"]).path == "/admin/login", (method, url)
        assert "Location" not in response.headers


def test_a_refused_page_comes_back_after_sign_in(client, owner):
    response = client.get("/admin/orders?status=placed")
    assert response.status_code == 303
    token = token_from(client, response.headers["Location"])
    signed_in = client.post(response.headers["Location"], data={
        "csrf_token": token, "email": OWNER_EMAIL, "password": OWNER_PASSWORD,
        "next": "/admin/orders?status=placed"})
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/admin/orders?status=placed"


def test_sign_in_never_redirects_off_the_admin(app, owner):
    for target in ("https://evil.example/", "//evil.example/admin/", "/cart"):
        client = app.test_client()
        token = token_from(client, "/admin/login")
        response = client.post("/admin/login", data={
            "csrf_token": token, "email": OWNER_EMAIL, "password": OWNER_PASSWORD,
            "next": target})
        assert response.headers["Location"] == "/admin/", target


# --- signing in and out ---------------------------------------------------------------------

def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(app, owner):
    wrong = sign_in(app.test_client(), OWNER_EMAIL, "not the password")
    unknown = sign_in(app.test_client(), "nobody@mithaas.example", OWNER_PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)

    def strip(html):  # the page without what differs by design: the typed email, the token
        html = html.replace(OWNER_EMAIL, "").replace("nobody@mithaas.example", "")
        html = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", html)
        return re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    assert strip(wrong.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))


def test_the_email_is_matched_whatever_its_case_and_spaces(app, owner):
    response = sign_in(app.test_client(), "  Owner@Mithaas.EXAMPLE ", OWNER_PASSWORD)
    assert response.status_code == 303


def session_of(app, client) -> dict:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_signing_in_starts_a_new_session_id(app, owner, in_db):
    client = app.test_client()
    with client.session_transaction() as planted:
        planted[SESSION_KEY] = "planted-by-someone-else"
    sign_in(client)
    first = session_of(app, client)[SESSION_KEY]
    assert first != "planted-by-someone-else"
    sign_in(client)
    second = session_of(app, client)[SESSION_KEY]
    assert second != first
    assert in_db(lambda: db.session.get(AdminSession, second)) is not None


def test_the_session_id_is_not_the_cookie_itself(app, owner_client):
    # The id lives inside the signed cookie; a forged id in a cookie we did not sign is useless.
    other = app.test_client()
    other.set_cookie("session", session_of(app, owner_client)[SESSION_KEY])
    assert other.get("/admin/").status_code == 303


def test_signing_out_ends_the_session_on_the_server(app, owner_client, in_db):
    cookie = owner_client.get_cookie("session").value
    sid = session_of(app, owner_client)[SESSION_KEY]
    token = token_from(owner_client, "/admin/")
    assert owner_client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    assert owner_client.get("/admin/").status_code == 303

    replayed = app.test_client()
    replayed.set_cookie("session", cookie)  # the cookie as it was before signing out
    response = replayed.get("/admin/")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/admin/login"
    assert in_db(lambda: db.session.get(AdminSession, sid).ended_at) is not None


def test_signing_out_needs_the_csrf_token(owner_client):
    assert owner_client.post("/admin/logout").status_code == 400
    assert owner_client.get("/admin/").status_code == 200


def test_a_password_reset_ends_the_old_sessions(owner_client, in_db):
    in_db(lambda: admin_auth.create_or_reset_admin(OWNER_EMAIL, "a brand new password"))
    assert owner_client.get("/admin/").status_code == 303


def test_an_idle_session_expires(app, owner_client, in_db):
    sid = session_of(app, owner_client)[SESSION_KEY]

    def age():
        db.session.get(AdminSession, sid).last_seen_at = utcnow() - timedelta(days=8)
        db.session.commit()
    in_db(age)
    assert owner_client.get("/admin/").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite_lax(app, owner):
    response = sign_in(app.test_client())
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"


def test_the_session_cookie_is_secure_in_production():
    from sweetshop.config import Config
    assert Config({"SWEETSHOP_ENV": "production"}).SESSION_COOKIE_SECURE is True


# --- throttling -----------------------------------------------------------------------------

class FakeSleep:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds):
        self.calls.append(seconds)


def attempt(email, password, address="203.0.113.7", sleep=None):
    try:
        admin_auth.sign_in(email, password, address=address, sleep=sleep or FakeSleep())
        return "ok"
    except admin_auth.SignInRefused:
        return "refused"
    except DomainError:
        return "wrong"


def test_repeated_failures_for_one_account_are_slowed_then_refused(ctx, owner):
    sleep = FakeSleep()
    results = [attempt(OWNER_EMAIL, "guess", address=f"198.51.100.{i}", sleep=sleep)
               for i in range(admin_auth.REFUSE_AFTER)]
    assert results == ["wrong"] * admin_auth.REFUSE_AFTER
    # The first few are instant, then each waits longer (capped).
    assert len(sleep.calls) == admin_auth.REFUSE_AFTER - admin_auth.SLOW_AFTER
    assert sleep.calls == sorted(sleep.calls) and sleep.calls[0] > 0
    # Now refused even with the right password, from any address.
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, address="192.0.2.99") == "refused"


def test_repeated_failures_from_one_address_are_refused_for_every_account(ctx, owner):
    for i in range(admin_auth.REFUSE_AFTER):
        assert attempt(f"guess{i}@mithaas.example", "guess") == "wrong"
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD) == "refused"
    # The owner on another connection is not locked out by that address.
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, address="192.0.2.50") == "ok"


def test_failures_long_ago_no_longer_count(ctx, owner):
    old = utcnow() - admin_auth.WINDOW - timedelta(minutes=1)
    db.session.add_all([LoginAttempt(email=OWNER_EMAIL, address="203.0.113.7", succeeded=False,
                                     created_at=old) for _ in range(admin_auth.REFUSE_AFTER)])
    db.session.commit()
    sleep = FakeSleep()
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, sleep=sleep) == "ok"
    assert sleep.calls == []


def test_the_sign_in_page_says_to_wait_when_refused(app, owner, in_db):
    def many_failures():
        db.session.add_all([LoginAttempt(email=OWNER_EMAIL, address="127.0.0.1",
                                         succeeded=False)
                            for _ in range(admin_auth.REFUSE_AFTER)])
        db.session.commit()
    in_db(many_failures)
    response = sign_in(app.test_client())
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


# --- the create-admin command ---------------------------------------------------------------

def test_create_admin_creates_then_resets_an_owner(app, in_db):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["create-admin", "Boss@Mithaas.example"],
                            env={"ADMIN_PASSWORD": "first long password"})
    assert created.exit_code == 0, created.output
    assert "Created owner boss@mithaas.example" in created.output
    assert sign_in(app.test_client(), "boss@mithaas.example",
                   "first long password").status_code == 303

    reset = runner.invoke(args=["create-admin", "boss@mithaas.example"],
                          env={"ADMIN_PASSWORD": "second long password"})
    assert reset.exit_code == 0, reset.output
    assert "Reset the password of owner boss@mithaas.example" in reset.output
    assert sign_in(app.test_client(), "boss@mithaas.example",
                   "first long password").status_code == 401
    assert sign_in(app.test_client(), "boss@mithaas.example",
                   "second long password").status_code == 303


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@mithaas.example"],
                                          env={"ADMIN_PASSWORD": "short"})
    assert result.exit_code != 0
    assert "at least" in result.output
