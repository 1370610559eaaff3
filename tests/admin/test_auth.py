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


STAFF_PREFIXES = ("/admin", "/delivery")


def staff_requests(app):
    """(endpoint, method, url) for every method of every staff rule (/admin, /delivery) but
    the public ones (sign-in, set-up link). tests/staff/test_roles.py walks these per role."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            staff_rule = any(rule.rule == p or rule.rule.startswith(p + "/") for p in STAFF_PREFIXES)
            if not staff_rule or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            values = {name: _sample(rule._converters.get(name)) for name in rule.arguments}
            url = url_for(rule.endpoint, **values)
            found += [(rule.endpoint, method, url) for method in sorted(rule.methods)]
    return found


def admin_requests(app):
    """(method, url) for every method of every staff rule but the public ones."""
    return [(method, url) for _, method, url in staff_requests(app)]


def test_the_walk_covers_the_admin_pages(app):
    walked = {url for _, url in admin_requests(app)}
    assert {"/admin/", "/admin/orders", "/admin/orders/1", "/admin/settings",
            "/admin/orders/waiting", "/admin/logout", "/delivery", "/admin/staff"} <= walked


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


NOT_SAFE_NEXT = [
    "https://evil.example/", "//evil.example/admin/", "/cart", "/admin/../x", "/admin/../../x",
    "/admin/%2e%2e/x", "/admin/%2E%2E/cart", "/admin/.%2e/x", "/admin/./x", "//evil",
    "/\\evil", "/%5cevil", "/admin/%5c%5cevil", "/admin\\..\\x", "/admin//evil.example",
    "/admin/%2fevil", "/admin/orders%0Ax", "/admin/orders\nx", "/admin/orders\r\nSet-Cookie: x=1",
    "/admin/%0d%0aLocation:%20//evil", " /admin/", "/admin/\tx", "https:/admin/",
    "javascript:alert(1)", "/administrator", "",
]


@pytest.mark.parametrize("target", NOT_SAFE_NEXT)
def test_only_plain_paths_inside_the_admin_are_a_safe_next(app, target):
    from sweetshop.safe_redirect import is_safe_path
    assert not is_safe_path(target, "/admin/")


@pytest.mark.parametrize("target", ["/admin/", "/admin/orders?status=placed",
                                    "/admin/orders/12#history", "/admin/products?q=kaju%20katli"])
def test_paths_inside_the_admin_are_a_safe_next(app, target):
    from sweetshop.safe_redirect import is_safe_path
    assert is_safe_path(target, "/admin/")


def test_sign_in_never_redirects_off_the_admin(app, owner):
    for target in NOT_SAFE_NEXT:
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
    message = "That email or phone and password do not match an account."
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


def test_a_session_used_every_day_still_ends_30_days_after_sign_in(app, owner_client, in_db):
    assert app.config["ADMIN_SESSION_MAX_DAYS"] == 30
    sid = session_of(app, owner_client)[SESSION_KEY]

    def signed_in_days_ago(days):
        def run():
            row = db.session.get(AdminSession, sid)
            row.created_at = utcnow() - timedelta(days=days)
            row.last_seen_at = utcnow() - timedelta(days=1)  # used yesterday, and every day
            db.session.commit()
        in_db(run)

    signed_in_days_ago(29)
    assert owner_client.get("/admin/").status_code == 200
    signed_in_days_ago(31)
    response = owner_client.get("/admin/")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/admin/login"


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


def attempt_as(email, password, address, device_token=None, sleep=None):
    try:
        admin_auth.sign_in(email, password, address=address, device_token=device_token,
                           sleep=sleep or FakeSleep())
        return "ok"
    except admin_auth.SignInRefused:
        return "refused"
    except DomainError:
        return "wrong"


def owner_device(owner_email=OWNER_EMAIL) -> str:
    """The known-device token a browser holds after signing in as the owner."""
    from sweetshop.models import AdminUser
    user = db.session.scalar(db.select(AdminUser).where(AdminUser.email == owner_email))
    return admin_auth.issue_device_token(user.id)


def guess_from_rotating_addresses(n=12):
    return [attempt(OWNER_EMAIL, "guess", address=f"198.51.100.{i}") for i in range(n)]


def test_repeated_failures_for_one_account_are_slowed(ctx, owner):
    sleep = FakeSleep()
    results = [attempt(OWNER_EMAIL, "guess", address=f"198.51.100.{i}", sleep=sleep)
               for i in range(admin_auth.REFUSE_AFTER)]
    assert results == ["wrong"] * admin_auth.REFUSE_AFTER
    # The first few are instant, then each waits longer (capped).
    assert len(sleep.calls) == admin_auth.REFUSE_AFTER - admin_auth.SLOW_AFTER
    assert sleep.calls == sorted(sleep.calls) and sleep.calls[0] > 0


def test_guessing_from_rotating_addresses_does_not_lock_out_a_known_device(ctx, owner):
    device = owner_device()
    assert "refused" not in guess_from_rotating_addresses()[:admin_auth.ACCOUNT_LOCK_AFTER]
    sleep = FakeSleep()
    # From a new network, and even from one the guesses came from: in, and not slowed.
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "192.0.2.99", device, sleep) == "ok"
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "198.51.100.3", device, sleep) == "ok"
    assert sleep.calls == []


def test_guessing_from_rotating_addresses_does_not_refuse_a_network_that_has_not_failed(
        ctx, owner):
    guess_from_rotating_addresses()
    sleep = FakeSleep()
    # A new phone (no device cookie) on a network with no failures: slowed, not refused.
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "192.0.2.99", sleep=sleep) == "ok"
    assert sleep.calls and max(sleep.calls) <= 3.0


def test_rotating_addresses_get_one_guess_each_once_the_account_is_under_attack(ctx, owner):
    results = guess_from_rotating_addresses(admin_auth.ACCOUNT_LOCK_AFTER)
    assert results == ["wrong"] * admin_auth.ACCOUNT_LOCK_AFTER
    # Every network that has failed is now refused for this account, right password or not
    # (unless it shows a known device); a fresh network still gets its one try.
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, address="198.51.100.3") == "refused"
    assert attempt(OWNER_EMAIL, "guess", address="198.51.100.250") == "wrong"
    assert attempt(OWNER_EMAIL, "guess again", address="198.51.100.250") == "refused"


def test_repeated_failures_from_one_address_are_refused_for_every_account(ctx, owner):
    for i in range(admin_auth.REFUSE_AFTER):
        assert attempt(f"guess{i}@mithaas.example", "guess") == "wrong"
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD) == "refused"
    # The owner on another connection is not locked out by that address, nor is the
    # owner's known device on that same address.
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, address="192.0.2.50") == "ok"
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "203.0.113.7", owner_device()) == "ok"


def test_a_known_device_that_keeps_failing_is_refused(ctx, owner):
    device = owner_device()
    for i in range(admin_auth.REFUSE_AFTER):
        assert attempt_as(OWNER_EMAIL, "guess", f"198.51.100.{i}", device) == "wrong"
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "192.0.2.99", device) == "refused"
    # Its failures are its own: the account is not locked for others.
    assert attempt(OWNER_EMAIL, OWNER_PASSWORD, address="192.0.2.98") == "ok"


def test_a_forged_or_another_accounts_device_token_counts_as_unknown(ctx, owner):
    admin_auth.create_or_reset_admin("partner@mithaas.example", "another long password")
    partners = owner_device("partner@mithaas.example")
    forged = owner_device()[:-3] + "xyz"
    for _ in range(admin_auth.REFUSE_AFTER):
        attempt(OWNER_EMAIL, "guess", address="203.0.113.7")
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "203.0.113.7", partners) == "refused"
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "203.0.113.7", forged) == "refused"
    assert attempt_as(OWNER_EMAIL, OWNER_PASSWORD, "203.0.113.7", "garbage") == "refused"


def test_one_device_token_remembers_each_account_signed_in_on_it(ctx, owner):
    from sweetshop.models import AdminUser
    partner, _ = admin_auth.create_or_reset_admin("partner@mithaas.example",
                                                  "another long password")
    owner_id = db.session.scalar(db.select(AdminUser.id).where(AdminUser.email == OWNER_EMAIL))
    token = admin_auth.issue_device_token(partner.id, admin_auth.issue_device_token(owner_id))
    assert set(admin_auth._known_devices(token)) == {str(owner_id), str(partner.id)}


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


def device_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie")
                if h.startswith("admin_device="))


def test_signing_in_sets_a_long_lived_httponly_known_device_cookie(app, owner):
    cookie = device_cookie(sign_in(app.test_client()))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin/" in cookie
    assert f"Max-Age={admin_auth.DEVICE_TOKEN_DAYS * 86400}" in cookie


def test_the_known_device_cookie_is_secure_in_production(app, owner):
    from sweetshop import create_app
    from tests.conftest import TEST_CONFIG

    secure = create_app(dict(TEST_CONFIG, SESSION_COOKIE_SECURE=True))
    assert "Secure" in device_cookie(sign_in(secure.test_client()))


def test_the_owners_phone_signs_in_while_strangers_guess_from_rotating_addresses(app, owner):
    phone = app.test_client()
    assert sign_in(phone).status_code == 303   # the owner's phone, once: now a known device
    phone.post("/admin/logout", data={"csrf_token": token_from(phone, "/admin/")})
    for i in range(12):
        stranger = app.test_client()
        response = sign_in(stranger, password="guess",
                           environ_base={"REMOTE_ADDR": f"2001:db8:{i}::1"})
        assert response.status_code in (401, 429)
    signed_in = sign_in(phone, environ_base={"REMOTE_ADDR": "2001:db8:3::99"})
    assert signed_in.status_code == 303
    refused = sign_in(app.test_client(), environ_base={"REMOTE_ADDR": "2001:db8:3::77"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "Too many failed attempts" in refused.get_data(as_text=True)


def test_rotating_addresses_inside_one_ipv6_64_count_as_one_network(app, owner):
    for i in range(admin_auth.REFUSE_AFTER):
        response = sign_in(app.test_client(), password="guess",
                           environ_base={"REMOTE_ADDR": f"2001:db8:1:1::{i + 1:x}"})
        assert response.status_code == 401
    refused = sign_in(app.test_client(), environ_base={"REMOTE_ADDR": "2001:db8:1:1:ffff::1"})
    assert refused.status_code == 429


def test_a_next_with_a_line_break_signs_in_to_the_dashboard_not_a_500(app, owner):
    # The sign-in page carries ?next= (decoded: a line break) in its form, which posts it back.
    client = app.test_client()
    token = token_from(client, "/admin/login?next=/admin/orders%0Ax")
    response = client.post("/admin/login", data={
        "csrf_token": token, "email": OWNER_EMAIL, "password": OWNER_PASSWORD,
        "next": "/admin/orders\nx"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"


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
