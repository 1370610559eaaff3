#!/usr/bin/env python3
"""Add-to-cart latency through the app (Flask test client, no HTTP server): the cost of a
durable cart commit.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/DB REDIS_URL=redis://.../N \
        python bench/cart_adds.py [--adds 200] [--rounds 3]

Migrates the database to head (nothing is dropped), adds one product of its own, then posts
`--adds` times to /cart/add (htmx, as a phone does) spread over 10 carts, and prints the
median, p90 and mean per request of each round and the median round, as JSON.
`--concurrency N` sends them from N threads at once (each its own carts), where commits
that wait for the disk can share one flush. Rate limits are off; CSRF is on, the token read
from the product page as a browser would.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CARTS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--adds", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("set DATABASE_URL (and REDIS_URL) to a database this may write to")

    from flask_migrate import upgrade

    from sweetshop import create_app
    from sweetshop.extensions import db
    from sweetshop.models import Category, Product, Unit, Variant

    app = create_app({"SWEETSHOP_ENV": "testing", "ENV_NAME": "testing", "TESTING": True,
                      "SECRET_KEY": secrets.token_hex(16), "RATELIMIT_ENABLED": False,
                      "SESSION_COOKIE_SECURE": False,
                      "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
                      "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")})
    with app.app_context():
        upgrade()
        tag = secrets.token_hex(4)
        category = Category(name=f"Bench {tag}", slug=f"bench-{tag}")
        product = Product(name=f"Bench barfi {tag}", slug=f"bench-barfi-{tag}",
                          category=category, unit=Unit.GRAM, stock=10**6, active=True)
        product.variants.append(Variant(name="500 g", quantity=500, price_paise=58000,
                                        is_default=True))
        db.session.add(product)
        db.session.commit()
        slug, variant_id = product.slug, product.variants[0].id
        sync = db.session.scalar(db.text("SHOW synchronous_commit"))
        fsync = db.session.scalar(db.text("SHOW fsync"))

    def shopper(adds: int, timings: list[float]) -> None:
        clients = [app.test_client() for _ in range(CARTS)]
        tokens = []
        for client in clients:
            page = client.get(f"/p/{slug}").get_data(as_text=True)
            tokens.append(re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1))
        start.wait()
        for n in range(adds):
            client, token = clients[n % CARTS], tokens[n % CARTS]
            started = time.perf_counter()
            response = client.post("/cart/add", headers={"HX-Request": "true"},
                                   data={"csrf_token": token, "variant_id": variant_id,
                                         "quantity": 1})
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"add {n} answered {response.status_code}")

    rounds = []
    for _ in range(args.rounds):
        timings: list[float] = []
        start = threading.Barrier(args.concurrency)
        threads = [threading.Thread(target=shopper, args=(args.adds // args.concurrency, timings))
                   for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ordered = sorted(timings)
        rounds.append({"median_ms": round(statistics.median(ordered), 2),
                       "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2),
                       "mean_ms": round(statistics.fmean(ordered), 2)})
    best = sorted(rounds, key=lambda r: r["median_ms"])[len(rounds) // 2]
    print(json.dumps({"adds_per_round": args.adds, "concurrency": args.concurrency, "server_synchronous_commit": sync,
                      "server_fsync": fsync, "rounds": rounds, "median_round": best},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
