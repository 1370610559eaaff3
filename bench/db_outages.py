#!/usr/bin/env python3
"""PostgreSQL restarted, killed -9, paused and full while customers shop (issue 10, items
24, 25, 27): the long version of tests/test_database_outages.py.

A PostgreSQL of its own (127.0.0.1:25410, throwaway data directory), migrated and seeded;
gunicorn as the Procfile runs it (bench/wsgi_bench.py: rate limits raised, since all the
load comes from one address) on 127.0.0.1:18310; CUSTOMERS threads browse (home, product,
cart) and place cash orders continuously. Phases, each followed by a steady spell:

    restart (fast)   pg_ctl -m fast stop, down for DOWN s, start
    kill -9          every server process killed, down for DOWN s, start (crash recovery)
    pause            SIGSTOP of every server process for PAUSE s, then SIGCONT
    full             every connection slot taken for FULL s (max_connections reached)

Every answer is counted: ok (2xx/3xx), the shop's 503 page, any other 5xx (a bare server
page: must be 0), 4xx, connection errors (must be 0), the slowest answer per phase (pause:
must stay under 7 s) and the seconds from the database being back to the first good page
(must be under 2 s). Exit status 1 when a budget is missed.

    bench/db_outages.py [--customers 8] [--down 3] [--pause 10] [--full 5] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import checkouts  # noqa: E402
from shopper import Shopper, add_to_cart  # noqa: E402
from stack import say  # noqa: E402

from tests.fault_servers import ProcfileWeb, ScratchPostgres  # noqa: E402

PG_PORT = 25410
WEB_PORT = 18310
OUTAGE_MARK = "Nothing was lost"  # in the shop's 503 page and fragment (web.py)
PRODUCT = "/p/kaju-katli"
BUDGET_PAUSE_MAX_S = 7
BUDGET_RECOVERY_S = 2


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "warm-up"
        self.counts: dict[str, Counter] = {}
        self.slowest: dict[str, float] = {}
        self.last_ok_at = 0.0
        self.bare_samples: list[str] = []
        self.log: list[str] = []

    def record(self, kind: str, seconds: float, sample: str = "") -> None:
        if kind != "ok":
            self.log.append(f"{time.strftime('%H:%M:%S')} {self.phase}: {kind} "
                            f"{seconds:.2f} s {sample[:120]!r}")
        with self.lock:
            self.counts.setdefault(self.phase, Counter())[kind] += 1
            self.slowest[self.phase] = max(self.slowest.get(self.phase, 0.0), seconds)
            if kind == "ok":
                self.last_ok_at = time.monotonic()
            if kind == "other 5xx" and len(self.bare_samples) < 5:
                self.bare_samples.append(sample[:300])


def classify(response) -> str:
    if response.status < 400:
        return "ok"
    if response.status == 503 and OUTAGE_MARK in response.text:
        return "shop 503"
    if response.status >= 500:
        return "other 5xx"
    return "4xx"


def customer(base: str, variant_id: int, tally: Tally, stop: threading.Event) -> None:
    shopper = Shopper(base, timeout=20)
    while not stop.is_set():
        for step in ("browse", "order"):
            started = time.monotonic()
            try:
                if step == "browse":
                    responses = [shopper.get("/"), shopper.get(PRODUCT), shopper.get("/cart")]
                else:
                    add_to_cart(shopper, PRODUCT, variant_id)
                    form = checkouts.open_checkout(shopper)
                    responses = [shopper.post("/checkout", form)]
            except Exception as error:  # a refused or dropped connection, or a 503 mid-flow
                text = str(error)
                kind = "shop 503" if "503" in text else "connection error"
                tally.record(kind, time.monotonic() - started, text)
                shopper.close()
                time.sleep(0.2)
                continue
            for response in responses:
                tally.record(classify(response), response.seconds, response.text)
            time.sleep(0.05)


def fill_every_slot(postgres: ScratchPostgres) -> list:
    import psycopg
    held = []
    url = postgres.database_url.replace("+psycopg", "")
    while True:
        try:
            held.append(psycopg.connect(url, connect_timeout=2))
        except psycopg.OperationalError:
            return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=8)
    parser.add_argument("--down", type=float, default=3.0)
    parser.add_argument("--pause", type=float, default=10.0)
    parser.add_argument("--full", type=float, default=5.0)
    parser.add_argument("--steady", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    say(f"PostgreSQL of its own on 127.0.0.1:{PG_PORT}")
    postgres = ScratchPostgres(PG_PORT, max_connections=30)
    web = None
    stop = threading.Event()
    threads: list[threading.Thread] = []
    tally = Tally()
    recovery: dict[str, float] = {}
    try:
        postgres.start()
        postgres.database_url = postgres.create_database("shop")
        env = dict(os.environ, DATABASE_URL=postgres.database_url,
                   REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
                   SWEETSHOP_ENV="production", SECRET_KEY=secrets.token_urlsafe(32),
                   WEB_CONCURRENCY=str(args.workers))
        flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
        info = subprocess.run([sys.executable, str(HERE / "fixtures.py"), "info"], cwd=ROOT,
                              env=env, check=True, capture_output=True, text=True)
        packs = json.loads(info.stdout.strip().splitlines()[-1])["products"]
        variant_id = packs["kaju-katli"]["variants"]["250 g"]
        subprocess.run([sys.executable, str(HERE / "fixtures.py"), "set-stock", "kaju-katli",
                        "100000000"], cwd=ROOT, env=env, check=True, capture_output=True)

        say(f"gunicorn as in the Procfile on 127.0.0.1:{WEB_PORT}, {args.workers} workers")
        web = ProcfileWeb(WEB_PORT, env, results_dir / "db_outages_gunicorn.log",
                          app="wsgi_bench:app", pythonpath="bench")
        threads = [threading.Thread(target=customer, args=(web.base_url, variant_id, tally, stop),
                                    daemon=True) for _ in range(args.customers)]
        for thread in threads:
            thread.start()

        def label(name: str) -> None:
            with tally.lock:
                tally.phase = name

        def phase(name: str, seconds: float) -> None:
            label(name)
            say(f"{name} ({seconds:g} s)")
            time.sleep(seconds)

        def back(name: str) -> None:
            """Time from the database being back to the first good answer."""
            since = time.monotonic()
            label(f"{name}: back")
            while tally.last_ok_at < since and time.monotonic() - since < 30:
                time.sleep(0.02)
            recovery[name] = round(tally.last_ok_at - since, 2)

        phase("steady", args.steady)
        for mode, name in (("fast", "restart (fast)"), ("kill", "kill -9")):
            label(name)  # answers during the stop itself count as the outage's
            postgres.stop(mode)
            phase(name, args.down)
            postgres.start()
            back(name)
            phase(f"steady after {name}", args.steady)
        label("pause")
        postgres.pause()
        phase("pause", args.pause)
        postgres.resume()
        back("pause")
        phase("steady after pause", args.steady)
        label("full")
        held = fill_every_slot(postgres)
        for _ in range(20):  # the web's own connections go too, so it must ask for new slots
            others = held[0].execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                "datname = 'shop' AND pid NOT IN (SELECT unnest(%s::int[]))",
                ([c.info.backend_pid for c in held],)).fetchone()[0]
            held += fill_every_slot(postgres)
            if not others:
                break
        phase("full", args.full)
        for connection in held:
            connection.close()
        back("full")
        phase("steady after full", args.steady)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=25)
        if web is not None:
            web.close()
        postgres.close()

    report = {"phases": {name: dict(counts) for name, counts in tally.counts.items()},
              "slowest_s": {name: round(s, 2) for name, s in tally.slowest.items()},
              "recovery_s": recovery, "bare_samples": tally.bare_samples,
              "not_ok": tally.log[:400]}
    misses = []
    total = Counter()
    for counts in tally.counts.values():
        total.update(counts)
    if total["other 5xx"]:
        misses.append(f"{total['other 5xx']} answers were a 5xx other than the shop's 503 page (0)")
    if total["connection error"]:
        misses.append(f"{total['connection error']} connection errors (0)")
    if tally.slowest.get("pause", 0) > BUDGET_PAUSE_MAX_S:
        misses.append(f"slowest answer while paused {tally.slowest['pause']:.1f} s "
                      f"(< {BUDGET_PAUSE_MAX_S} s)")
    for name, seconds in recovery.items():
        if seconds > BUDGET_RECOVERY_S:
            misses.append(f"{name}: first good page {seconds:.1f} s after the database was "
                          f"back (< {BUDGET_RECOVERY_S} s)")
    report["budgets_missed"] = misses
    (results_dir / "db_outages.json").write_text(json.dumps(report, indent=2) + "\n")

    print(f"\n{'phase':<22} {'ok':>6} {'shop 503':>9} {'other 5xx':>10} {'4xx':>5} "
          f"{'conn err':>9} {'slowest s':>10}")
    for name, counts in tally.counts.items():
        print(f"{name:<22} {counts['ok']:6d} {counts['shop 503']:9d} {counts['other 5xx']:10d} "
              f"{counts['4xx']:5d} {counts['connection error']:9d} "
              f"{tally.slowest.get(name, 0):10.2f}")
    print("recovery (s from the database back to the first good page):", recovery)
    for miss in misses:
        print(f"  MISSED  {miss}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
