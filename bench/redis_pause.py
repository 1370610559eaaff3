"""Customers checking out while Redis is paused (issue 10, item 26): the long run of
tests/test_redis_pause.py, against gunicorn as the Procfile runs it.

A redis-server of its own (tests/fakes/redis_server.py; ports REDIS_FAULT_PORTS, default
26400-26499) is the shop's REDIS_URL; `--customers` threads each fill a cart (product page,
Add to cart) and check out (GET, POST) in a loop. After `--before` seconds Redis gets
SIGSTOP for `--pause` seconds, then SIGCONT, and the run goes on for `--after` seconds.
Every request's latency is reported per phase (p50, p99, max, statuses). The breaker's
promise: while paused, a request waits at most one REDIS_SOCKET_TIMEOUT (0.5 s) more.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> \
        .venv/bin/python bench/redis_pause.py [--pause 20] [--customers 8]

DATABASE_URL is used as it is (migrated and seeded, orders are added); without it the
bench database of `make bench` is used (created anew).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--pause", type=float, default=20)
    parser.add_argument("--after", type=float, default=10)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    args = parser.parse_args()

    from checkouts import _percentile, open_checkout, submit
    from shopper import Shopper, add_to_cart
    from stack import BenchStack

    from tests.fakes.redis_server import RedisServer

    with RedisServer() as redis_server:
        os.environ["REDIS_URL"] = redis_server.url
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        with BenchStack(workers=args.workers) as stack:
            packs = stack.fixture("info")["products"]
            line = ("/p/kaju-katli", packs["kaju-katli"]["variants"]["250 g"])
            stack.fixture("set-stock", "kaju-katli", "10000000")
            phase = {"name": "before"}
            samples: list[tuple[str, str, int, float]] = []
            lock = threading.Lock()
            stop = threading.Event()

            def record(kind, status, seconds):
                with lock:
                    samples.append((phase["name"], kind, status, seconds))

            def customer():
                while not stop.is_set():
                    shopper = Shopper(stack.base_url)
                    try:
                        started = time.perf_counter()
                        add_to_cart(shopper, *line)
                        record("cart", 303, time.perf_counter() - started)
                        started = time.perf_counter()
                        form = open_checkout(shopper)
                        record("checkout page", 200, time.perf_counter() - started)
                        status, seconds, _ = submit(shopper, form)
                        record("place order", status, seconds)
                    except Exception as exc:  # a refused or failed request is a finding
                        record(f"error: {exc.__class__.__name__}", 0, 0.0)
                    finally:
                        shopper.close()

            threads = [threading.Thread(target=customer, daemon=True)
                       for _ in range(args.customers)]
            for t in threads:
                t.start()
            time.sleep(args.before)
            phase["name"] = "paused"
            redis_server.pause()
            time.sleep(args.pause)
            redis_server.resume()
            phase["name"] = "after"
            time.sleep(args.after)
            stop.set()
            for t in threads:
                t.join(30)

    report = {}
    for name in ("before", "paused", "after"):
        rows = [s for s in samples if s[0] == name]
        seconds = [s[3] for s in rows if s[2]]
        statuses: dict[str, int] = {}
        for s in rows:
            key = s[1] if s[2] == 0 else str(s[2])
            statuses[key] = statuses.get(key, 0) + 1
        report[name] = {
            "requests": len(rows),
            "p50_ms": round(_percentile(seconds, 50) * 1000),
            "p99_ms": round(_percentile(seconds, 99) * 1000),
            "max_ms": round(max(seconds, default=0) * 1000),
            "orders": sum(1 for s in rows if s[1] == "place order" and s[2] == 303),
            "statuses": statuses,
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
