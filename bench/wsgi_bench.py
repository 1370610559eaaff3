"""The app as wsgi.py builds it, with the rate limits raised for make bench.

All bench traffic comes from one address (127.0.0.1), where a shop's traffic comes from many
addresses each well under its limit. So the limiter stays on, and its Redis round trip is
part of every request as in production; only the numbers are raised, so the one load
generator is not throttled. gunicorn loads this instead of wsgi:app (bench/stack.py).
"""
from sweetshop import rate_limits

LIFTED = "1000000 per minute"

for _name in ("POST_LIMITS", "DEFAULT_LIMIT", "local_pages"):
    if not hasattr(rate_limits, _name):  # the limits moved: fail loudly, not with 429s
        raise RuntimeError(f"sweetshop.rate_limits.{_name} is gone; update bench/wsgi_bench.py")
rate_limits.POST_LIMITS = {endpoint: LIFTED for endpoint in rate_limits.POST_LIMITS}
rate_limits.DEFAULT_LIMIT = LIFTED
# Catalogue pages count their limit in process memory (issue 19): lift that one too.
rate_limits.local_pages = rate_limits.LocalWindow(limit=1_000_000)

from sweetshop import create_app  # noqa: E402

app = create_app()
