"""Security headers and cookie flags on every kind of response."""
from sweetshop import create_app
from tests.conftest import TEST_CONFIG


def test_every_page_has_a_strict_content_security_policy_and_friends(client):
    for path in ["/", "/p/no-such-sweet", "/cart", "/admin/login", "/health"]:
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # not in testing


def test_production_adds_hsts_and_secure_cookies(app):
    prod = create_app(dict(TEST_CONFIG, ENV_NAME="production", SESSION_COOKIE_SECURE=True))
    client = prod.test_client()
    response = client.get("/admin/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_a_trusted_proxy_the_customer_address_is_used(app):
    proxied = create_app(dict(TEST_CONFIG, TRUSTED_PROXIES=1))
    seen = {}

    @proxied.get("/_whoami")
    def whoami():
        from flask import request
        seen["addr"], seen["scheme"] = request.remote_addr, request.scheme
        return "ok"

    proxied.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.9",
                                                   "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "scheme": "https"}


def test_production_refuses_to_start_with_the_default_secret_key(app):
    import pytest

    from sweetshop.config import DEV_SECRET
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(dict(TEST_CONFIG, ENV_NAME="production", SECRET_KEY=DEV_SECRET))


def test_htmx_is_configured_for_our_origin_only_and_the_csp_forbids_eval(client):
    import re

    for path in ("/", "/admin/login"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        meta = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', html)
        assert meta, path
        import json
        assert json.loads(meta.group(1))["mode"] == "same-origin", path
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in csp and "script-src 'self'" in csp, path
