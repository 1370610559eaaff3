"""Rate limits on their own app (the suite's app has them off): breaches get a clear 429,
sign-in and codes are refused while Redis is down, browsing goes on."""
import pytest

from sweetshop import create_app
from tests.conftest import TEST_CONFIG


@pytest.fixture
def limited_app(app):
    config = dict(TEST_CONFIG, RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    return create_app(config)


def test_a_burst_of_checkouts_from_one_address_gets_a_clear_429(limited_app):
    client = limited_app.test_client()

    def attempt(address):
        return client.post("/checkout", data={"name": "Asha"}, environ_base={"REMOTE_ADDR": address})

    statuses = [attempt("10.1.1.1").status_code for _ in range(10)]
    assert 429 not in statuses
    refused = attempt("10.1.1.1")
    assert refused.status_code == 429
    assert "Please wait a minute" in refused.get_data(as_text=True)
    assert attempt("10.2.2.2").status_code != 429  # another address is not affected


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
