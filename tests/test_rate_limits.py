"""Rate limits on their own app (the suite's app has them off): breaches get a clear 429,
sign-in and codes are refused while Redis is down, browsing goes on."""
import pytest

from sweetshop import create_app
from tests.conftest import TEST_CONFIG


@pytest.fixture
def limited_app(app):
    config = dict(TEST_CONFIG, RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    return create_app(config)


CHECKOUT = {"name": "Asha Rao", "phone": "98765 43210", "address": "12 MG Road, Indiranagar",
            "pincode": "560038", "note": "Ring twice", "payment_method": "cod"}


def checkout(client, address, cart=None, htmx=False):
    if cart is not None:
        client.set_cookie("cart", cart)
    return client.post("/checkout", data=CHECKOUT, environ_base={"REMOTE_ADDR": address},
                       headers={"HX-Request": "true"} if htmx else {})


def test_a_refused_checkout_keeps_the_form_and_says_when_to_try_again(limited_app):
    client = limited_app.test_client()
    statuses = [checkout(client, "10.1.1.1", cart="cart-one").status_code for _ in range(10)]
    assert 429 not in statuses
    refused = checkout(client, "10.1.1.1")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    # The checkout form again, with what was typed, and the reason next to the button.
    assert 'value="Asha Rao"' in html and "12 MG Road, Indiranagar" in html
    assert 'value="560038"' in html and "Ring twice" in html
    note = html.index('id="submit-refusal"')
    assert note < html.index(">Place order</button>")
    assert "Please wait a minute and try again; what you typed is kept." in html
    assert "Too many requests" not in html
    fragment = checkout(client, "10.1.1.1", htmx=True)
    assert fragment.status_code == 429 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="submit-refusal"' in fragment.get_data(as_text=True)


def test_checkout_counts_per_cart_so_shoppers_behind_one_carrier_address_go_on(limited_app):
    # Fifteen shoppers behind one carrier-grade NAT address, three submits each: all served.
    statuses = []
    for n in range(15):
        shopper = limited_app.test_client()
        statuses += [checkout(shopper, "100.64.0.1", cart=f"cart-{n}").status_code
                     for _ in range(3)]
    assert 429 not in statuses
    # One cart tapping on is refused; its neighbours are not.
    one = limited_app.test_client()
    assert 429 in [checkout(one, "100.64.0.1", cart="cart-busy").status_code for _ in range(11)]
    assert checkout(limited_app.test_client(), "100.64.0.1", cart="cart-new").status_code != 429


def test_new_carts_from_one_address_are_still_limited_per_address(limited_app):
    statuses = [checkout(limited_app.test_client(), "203.0.113.5", cart=f"c{n}").status_code
                for n in range(61)]
    assert statuses[:60].count(429) == 0 and statuses[60] == 429


def test_fifteen_checkouts_from_one_ipv6_64_are_limited(limited_app):
    client = limited_app.test_client()
    statuses = [checkout(client, f"2001:db8:aa:bb::{n:x}").status_code for n in range(1, 16)]
    assert statuses[:10].count(429) == 0 and set(statuses[10:]) == {429}


def test_two_different_ipv6_64s_are_counted_apart(limited_app):
    client = limited_app.test_client()
    first = [checkout(client, f"2001:db8:aa:1::{n:x}").status_code for n in range(1, 11)]
    second = [checkout(client, f"2001:db8:aa:2::{n:x}").status_code for n in range(1, 11)]
    assert 429 not in first + second


def test_ipv4_addresses_are_counted_one_by_one(limited_app):
    client = limited_app.test_client()
    assert 429 not in [checkout(client, "198.51.100.1").status_code for _ in range(10)]
    assert checkout(client, "198.51.100.1").status_code == 429
    assert checkout(client, "198.51.100.2").status_code != 429


def test_the_one_key_function_groups_ipv6_by_64_after_trusted_proxies(app):
    from sweetshop import create_app
    from sweetshop.extensions import limiter
    from sweetshop.rate_limits import client_network, network_of

    assert network_of("2001:db8:1:2:aaaa::1") == network_of("2001:db8:1:2:bbbb::9")
    assert network_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert network_of("2001:db8:1:3::1") != network_of("2001:db8:1:2::1")
    assert network_of("::ffff:203.0.113.7") == network_of("203.0.113.7") == "203.0.113.7"
    assert network_of(None) == network_of("garbage") == "unknown"
    assert limiter._key_func is client_network
    proxied = create_app(dict(TEST_CONFIG, TRUSTED_PROXIES=1))
    proxied.add_url_rule("/_network", "network", client_network)
    seen = proxied.test_client().get("/_network", headers={"X-Forwarded-For": "2001:db8:9:9::5"},
                                     environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen.get_data(as_text=True) == "2001:db8:9:9::/64"


def test_a_refused_sign_in_keeps_the_email_and_says_when(limited_app):
    client = limited_app.test_client()
    data = {"email": "owner@mithaas.example", "password": "guess"}
    statuses = [client.post("/admin/login", data=data).status_code for _ in range(10)]
    assert 429 not in statuses
    refused = client.post("/admin/login", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert 'value="owner@mithaas.example"' in html and 'id="submit-refusal"' in html
    assert html.index('id="submit-refusal"') < html.index(">Log in</button>")
    assert 'value="guess"' not in html


def test_a_refused_code_request_keeps_the_number_and_says_when(limited_app):
    client = limited_app.test_client()
    for n in range(5):  # different numbers, so the per-phone limit in PostgreSQL is not the one
        client.post("/my-orders/code", data={"phone": f"98765 4321{n}"})
    refused = client.post("/my-orders/code", data={"phone": "98765 43210"},
                          headers={"HX-Request": "true"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "<html" not in html and 'value="98765 43210"' in html
    assert "Please wait a minute and try again" in html


def test_a_refused_tracking_lookup_keeps_the_form(limited_app):
    client = limited_app.test_client()
    data = {"number": "1001", "phone": "98765 43210"}
    for _ in range(10):
        client.post("/track", data=data, environ_base={"REMOTE_ADDR": "10.3.3.3"})
    # PostgreSQL's own count of misses from here does not say when; the limiter does.
    refused = client.post("/track", data=data, environ_base={"REMOTE_ADDR": "10.3.3.3"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and 'value="1001"' in html
    assert "Please wait a minute and try again" in html


def test_without_redis_sign_in_fails_closed_and_the_catalogue_stays_open(limited_app):
    limited_app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    limited_app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    client = limited_app.test_client()
    refused = client.post("/admin/login", data={"email": "x@example.com", "password": "nope"})
    assert refused.status_code == 503
    assert "try again in a minute" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 200


STRICT_PAGE_LIMIT_SCRIPT = """
from sweetshop import create_app
app = create_app({"RATELIMIT_DEFAULT": "3 per minute"})
client = app.test_client()
static = [client.get(path).status_code for path in ["/media/0123456789abcdef.jpg"] * 5]
pages = [client.get("/cart").status_code for _ in range(4)]
print(static, pages)
"""


def test_photos_are_not_rate_limited_like_pages(app):
    # A process of its own: the limiter extension keeps the default limits of the first
    # app it was given, which in this test process is the suite's (limits off).
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

    env = dict(os.environ, SWEETSHOP_ENV="testing", SECRET_KEY="x" * 32,
               DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL)
    out = subprocess.run([sys.executable, "-c", STRICT_PAGE_LIMIT_SCRIPT], env=env,
                         cwd=Path(__file__).resolve().parents[1], capture_output=True,
                         text=True, timeout=60, check=True)
    # Default limits count per page (endpoint): a page with a dozen photos must not use up
    # the photo route's allowance for everyone behind the same carrier address.
    assert out.stdout.strip().splitlines()[-1] == "[404, 404, 404, 404, 404] [200, 200, 200, 429]"


CATALOGUE_WITHOUT_REDIS_SCRIPT = """
import sys
import redis
from sweetshop import create_app
url = sys.argv[1]
app = create_app({"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url})
client = app.test_client()
spy = redis.Redis.from_url(url)
def calls():
    stats = spy.info("commandstats")
    return sum(v["calls"] for k, v in stats.items() if not k.startswith(("cmdstat_info", "cmdstat_config")))
spy.config_resetstat()
pages = [client.get(path).status_code for path in ["/", "/c/nothing-here", "/p/nothing"] * 5]
catalogue = calls()
client.get("/cart")
print(pages.count(200) + pages.count(404), catalogue, calls() > catalogue)
"""


def test_catalogue_pages_cost_no_redis_round_trip_but_the_cart_keeps_its_limit(app):
    """At a rush the catalogue's limit is counted in memory (rate_limits.LOCAL_PAGES): not
    one Redis command for 15 pages, while the cart page still counts in Redis."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
    from tests.fakes.redis_server import RedisServer

    limits = RedisServer().start()
    try:
        env = dict(os.environ, SWEETSHOP_ENV="testing", SECRET_KEY="x" * 32,
                   DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL)
        out = subprocess.run([sys.executable, "-c", CATALOGUE_WITHOUT_REDIS_SCRIPT, limits.url],
                             env=env, cwd=Path(__file__).resolve().parents[1],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == "15 0 True"
    finally:
        limits.stop()


def test_the_local_page_limit_refuses_a_flood_and_forgets_old_addresses():
    from sweetshop.rate_limits import LocalWindow

    window = LocalWindow(limit=3, seconds=60, max_keys=2)
    assert [window.hit("10.0.0.1", now=0) for _ in range(3)] == [0, 0, 0]
    assert window.hit("10.0.0.1", now=1) == 59  # refused until the minute is over
    assert window.hit("10.0.0.2", now=1) == 0   # a neighbour is not
    assert window.hit("10.0.0.1", now=60) == 0  # a new minute
    window.hit("10.0.0.3", now=61)
    assert len(window.windows) == 2             # bounded memory


def test_a_flood_of_catalogue_pages_is_refused_with_the_429_page(limited_app, monkeypatch):
    from sweetshop import rate_limits

    monkeypatch.setattr(rate_limits, "local_pages", rate_limits.LocalWindow(limit=5))
    client = limited_app.test_client()
    statuses = [client.get("/", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = client.get("/", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get("/", environ_base={"REMOTE_ADDR": "10.9.9.10"}).status_code == 200
