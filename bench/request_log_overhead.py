"""What the request log and the request metrics cost per request (issue 18): /ping through
the test client, N requests with the hooks of sweetshop/logs.py (one JSON line to
/dev/null, one counter and one histogram update) and N with them taken out.

    .venv/bin/python bench/request_log_overhead.py --database-url ... --redis-url ... [-n 3000]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def per_request_us(client, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        client.get("/ping")
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("-n", type=int, default=3000)
    args = parser.parse_args()
    from sweetshop import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "REDIS_URL": args.redis_url,
                      "SECRET_KEY": "x" * 32, "LOG_FORMAT": "json", "RATELIMIT_ENABLED": False})
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setStream(open("/dev/null", "w"))
    client = app.test_client()
    per_request_us(client, 200)  # warm up
    with_hooks = [per_request_us(client, args.n) for _ in range(3)]
    hooks = {name: [f for f in app.before_request_funcs[None] if f.__name__ == name]
             for name in ("start_request_log",)}
    app.before_request_funcs[None] = [f for f in app.before_request_funcs[None]
                                      if f.__name__ != "start_request_log"]
    after = app.after_request_funcs[None]
    app.after_request_funcs[None] = [f for f in after if f.__name__ != "write_request_log"]
    app.teardown_request_funcs[None] = [f for f in app.teardown_request_funcs[None]
                                        if f.__name__ != "end_request_log"]
    without = [per_request_us(client, args.n) for _ in range(3)]
    assert hooks
    w, wo = statistics.median(with_hooks), statistics.median(without)
    print(f"/ping via the test client, median of 3 × {args.n}: with the request log and "
          f"metrics {w:.0f} µs, without {wo:.0f} µs: {w - wo:.0f} µs a request")


if __name__ == "__main__":
    main()
