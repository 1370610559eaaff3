"""Issue 10, item 26: Redis paused (SIGSTOP) on a server of the test's own. The first touch
waits one short socket timeout, then the circuit breaker skips Redis: browsing, adding to
the cart and checking out stay fast (limits fail open, the order's messages wait for the
sweeper), sign-in is refused at once, and Redis is used again once it answers.

The HTTP side runs in a process of its own: Flask-Limiter's extension keeps the storage of
the last app it was given, and this one's Redis is stopped afterwards.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from tests.conftest import TEST_DATABASE_URL
from tests.fakes.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]

REQUESTS_WHILE_PAUSED = """
import json, re, sys, time
from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.services.checkout import new_idempotency_key
from tests.conftest import TEST_CONFIG
from tests.factories import make_product

app = create_app(dict(TEST_CONFIG, REDIS_URL=sys.argv[1], RATELIMIT_ENABLED=True,
                      WTF_CSRF_ENABLED=False, REDIS_BREAKER_SECONDS=6))
with app.app_context():
    variant_id = make_product("Kaju Katli").variants[1].id
    db.session.commit()
client = app.test_client()
client.get("/")  # warm: templates compiled, connections open
print("ready", flush=True)
sys.stdin.readline()  # the test pauses Redis now

def timed(name, fn):
    start = time.monotonic()
    response = fn()
    return {"name": name, "status": response.status_code,
            "seconds": round(time.monotonic() - start, 3),
            "retry_after": response.headers.get("Retry-After")}

details = {"name": "Asha Rao", "phone": "9876543210", "address": "12 MG Road, Bengaluru",
           "pincode": "560038", "payment_method": "cod"}
results = [timed("home", lambda: client.get("/"))]
for n in range(3):
    results.append(timed("add", lambda: client.post("/cart/add", data={
        "variant_id": variant_id, "quantity": 1})))
    start = time.monotonic()
    page = client.get("/checkout")  # the signed basket the checkout page shows
    results.append({"name": "checkout page", "status": page.status_code,
                    "seconds": round(time.monotonic() - start, 3), "retry_after": None})
    basket = re.search(r'name="basket" type="hidden" value="([^"]*)"',
                       page.get_data(as_text=True)).group(1)
    results.append(timed("checkout", lambda: client.post("/checkout", data=dict(
        details, idempotency_key=new_idempotency_key(), basket=basket))))
results.append(timed("sign-in", lambda: client.post("/admin/login", data={
    "email": "owner@example.com", "password": "wrong"})))
print(json.dumps(results), flush=True)
sys.stdin.readline()  # the test resumes Redis now
# The breaker's pause is over. (6 s: the requests above, a checkout that books a slot and
# issues an invoice among them, must all fall inside one pause on a loaded CI machine.)
time.sleep(6.2)
# The cart page: catalogue pages count their limit in memory (rate_limits.LOCAL_PAGES).
results = [timed("cart", lambda: client.get("/cart"))]
print(json.dumps(results), flush=True)
"""


def test_a_paused_redis_adds_at_most_one_short_wait_to_requests(app):
    env = dict(os.environ, SWEETSHOP_ENV="testing", SECRET_KEY="x" * 32,
               DATABASE_URL=TEST_DATABASE_URL)
    with RedisServer() as redis_server:
        script = subprocess.Popen([sys.executable, "-c", REQUESTS_WHILE_PAUSED, redis_server.url],
                                  env=env, cwd=ROOT, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert script.stdout.readline().strip() == "ready"
            redis_server.pause()
            script.stdin.write("go\n")
            script.stdin.flush()
            paused = json.loads(script.stdout.readline())
            redis_server.resume()
            script.stdin.write("go\n")
            script.stdin.flush()
            resumed = json.loads(script.stdout.readline())
            script.wait(30)
        finally:
            if script.poll() is None:
                script.kill()
        limiter_keys = Redis.from_url(redis_server.url).keys("LIMITS*")

    times = [r["seconds"] for r in paused]
    assert max(times) < 1.0, paused  # one socket timeout (0.5 s), not one per Redis touch
    # The others skip Redis: none of them waits out a socket timeout of its own.
    assert sum(t >= 0.5 for t in times) <= 1, paused
    by_name = {r["name"]: r for r in paused}
    assert by_name["home"]["status"] == 200
    assert [r["status"] for r in paused if r["name"] == "add"] == [303, 303, 303]
    assert [r["status"] for r in paused if r["name"] == "checkout"] == [303, 303, 303]
    assert by_name["sign-in"]["status"] == 503 and by_name["sign-in"]["retry_after"]
    assert resumed[0]["status"] == 200 and resumed[0]["seconds"] < 0.5
    assert limiter_keys, "limits are counted in Redis again once it answers"


def test_orders_placed_while_redis_is_paused_leave_their_jobs_to_the_sweeper(
        app, ctx, monkeypatch):
    from datetime import timedelta

    from sweetshop.extensions import db
    from sweetshop.models import utcnow
    from sweetshop.services import cart, checkout
    from sweetshop.services import notifications as outbox
    from tests.factories import make_product
    from tests.notifications.helpers import notifications, queued_job_count

    variant_id = make_product("Kaju Katli").variants[1].id
    db.session.commit()

    def place_order(phone):
        token, _ = cart.add_to_cart(None, variant_id, 1)
        details = checkout.CustomerDetails(name="Asha Rao", phone=phone, pincode="560038",
                                           address="12 MG Road, Bengaluru")
        checkout.place_order(token, details, checkout.new_idempotency_key())

    with RedisServer() as redis_server:
        monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url)
        monkeypatch.setitem(app.config, "REDIS_BREAKER_SECONDS", 1)
        redis_server.pause()
        durations = []
        for phone in ("+919876543210", "+919876543211", "+919876543212"):
            start = time.monotonic()
            place_order(phone)
            durations.append(time.monotonic() - start)
        assert max(durations) < 1.0 and sum(durations) < 1.5, durations
        assert [n.status for n in notifications()] == ["queued"] * 3
        assert outbox.sweep(now=utcnow() + timedelta(minutes=1)) == 0  # still skipped

        redis_server.resume()
        time.sleep(1.1)
        assert outbox.sweep(now=utcnow() + timedelta(minutes=1)) == 3
        assert queued_job_count() == 3
        db.session.rollback()
