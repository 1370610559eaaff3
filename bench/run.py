#!/usr/bin/env python3
"""make bench: speed, size and correctness under load, checked against the budgets of issue 7.

1. An isolated bench environment (bench/stack.py): its own database and Redis db, migrated
   and seeded; gunicorn started as the Procfile's web process, SWEETSHOP_ENV=production.
2. HTTP load with wrk on loopback (-t2 -c16 -d10s --latency, warm-up, median of 3 rounds):
   /ping (the trivial endpoint), home, product, the pack-status and add-to-cart fragments,
   the cart page; requests/s, p50, p99 and the ratio to /ping.
3. Page weight of a first visit (bytes on the wire, br/gzip) of home, product, cart, checkout.
4. Lighthouse, default mobile profile, on the same four pages (median of 3).
5. Concurrent cash-on-delivery checkouts (orders/s, p99), and 200 simultaneous attempts at
   a stock of 50 (exactly 50 orders, stock 0).
6. Slow clients (bench/slowloris.py): 50 connections trickling a line every 5 s while
   /ping is asked; every ping answered, p99 under 100 ms.
7. Budgets: exit status 1 and the list of misses when one is not met.

Prints a table; writes bench/results/latest.json. Options: --quick (one short round, one
Lighthouse run: for trying things, not for figures), --skip-load, --skip-lighthouse,
--skip-orders, --skip-slowloris, --workers N (default $WEB_CONCURRENCY or 3).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import checkouts  # noqa: E402
import lhrun  # noqa: E402
import pageweight  # noqa: E402
import slowloris  # noqa: E402
import wrkload  # noqa: E402
from shopper import Shopper, add_to_cart, hidden_inputs  # noqa: E402
from stack import BenchStack, say  # noqa: E402

KB = 1024
BUDGETS = {
    "page_total_kb": 30,        # first visit, compressed, product photos left out
    "page_js_kb": 15,
    "lh_performance": 95,
    "lh_accessibility": 100,
    "lh_best_practices": 95,
    "product_ratio_to_ping": 0.6,
    "fragment_p99_ms": 50,
    "search_p99_ms": 30,        # /search over SEARCH_CATALOGUE sweets, 16 connections
}
SEARCH_CATALOGUE = 500
PRODUCT = "/p/kaju-katli"
OVERSELL_STOCK = 50
OVERSELL_ATTEMPTS = 200


def machine_notes(stack: BenchStack) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    notes = {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
             "kernel": platform.release(), **stack.notes}
    try:
        import psycopg
        url = stack.env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(url) as conn:
            notes["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # notes only
        notes["postgres"] = f"unknown ({exc.__class__.__name__})"
    try:
        import gunicorn
        notes["gunicorn"] = gunicorn.__version__
    except ImportError:
        pass
    try:
        out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                             timeout=30)
        notes["chromium"] = out.stdout.strip()
    except Exception:
        pass
    notes["load_generator"] = "co-located: wrk, Python clients and Chromium share the CPUs " \
                              "with gunicorn, PostgreSQL and Redis"
    return notes


def cart_shopper(base_url: str, lines: list[tuple[str, int]]) -> Shopper:
    shopper = Shopper(base_url)
    for path, variant_id in lines:
        add_to_cart(shopper, path, variant_id)
    shopper.close()
    return shopper


# --- the parts ---------------------------------------------------------------------------


def load_part(stack: BenchStack, packs: dict, quick: bool) -> dict:
    base = stack.base_url
    kaju500 = packs["kaju-katli"]["variants"]["500 g"]
    # The cart page: a cart with a few lines.
    cart = cart_shopper(base, [(PRODUCT, kaju500),
                               ("/p/motichoor-laddoo", packs["motichoor-laddoo"]["variants"]["250 g"]),
                               ("/p/gulab-jamun", packs["gulab-jamun"]["variants"]["Tin of 12"])])
    # Add to cart: 32 shoppers, each with a session (CSRF token) and a cart of their own.
    posts = []
    for s in checkouts.prepare_carts(base, 32, [(PRODUCT, kaju500)]):
        page = s.get(PRODUCT)
        token = hidden_inputs(page.text)["csrf_token"]
        s.close()
        posts.append((s.cookie_header, urlencode({"csrf_token": token, "variant_id": kaju500,
                                                  "quantity": 1})))
    hx = {"HX-Request": "true"}
    endpoints = [
        wrkload.Endpoint("ping", "/ping"),
        wrkload.Endpoint("home", "/"),
        wrkload.Endpoint("product", PRODUCT),
        wrkload.Endpoint("pack fragment", f"{PRODUCT}?variant_id={kaju500}", headers=hx,
                         fragment=True),
        wrkload.Endpoint("add to cart", "/cart/add", headers=hx, posts=posts, fragment=True),
        wrkload.Endpoint("cart", "/cart", headers={"Cookie": cart.cookie_header}),
    ]
    # Sanity: each endpoint answers as expected before it is measured.
    probe = Shopper(base)
    for e in endpoints:
        headers = dict(e.headers)
        if e.posts:
            headers["Cookie"] = e.posts[0][0]
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            resp = _post_raw(probe, e.path, e.posts[0][1], headers)
        else:
            resp = probe.request("GET", e.path, headers=headers, send_cookies=False)
        if resp.status != 200:
            raise SystemExit(f"{e.name}: {e.path} answered {resp.status}: {resp.text[:500]}")
    probe.close()
    options = {"cpu_probe": stack.cpu_times, "log": lambda m: print(m, flush=True)}
    if quick:
        options.update(rounds=1, duration="5s", warmup="2s")
    return wrkload.measure(base, endpoints, **options)


def _post_raw(shopper: Shopper, path: str, body: str, headers: dict):
    from urllib.parse import parse_qsl
    return shopper.request("POST", path, form=parse_qsl(body), headers=headers, send_cookies=False)


def search_part(stack: BenchStack, quick: bool) -> dict:
    """/search at 16 connections over a catalogue of SEARCH_CATALOGUE sweets (generated on
    top of the demo's, so it runs last), with /ping alongside for the ratio."""
    total = stack.fixture("generate-products", str(SEARCH_CATALOGUE))["total"]
    print(f"    catalogue: {total} sweets", flush=True)
    hx = {"HX-Request": "true"}
    endpoints = [
        wrkload.Endpoint("ping", "/ping"),
        wrkload.Endpoint("search typo", "/search?q=kaju+kalti"),
        wrkload.Endpoint("search hindi", "/search?q=%E0%A4%B2%E0%A4%A1%E0%A5%8D%E0%A4%A1%E0%A5%82"),
        wrkload.Endpoint("search live", "/search?q=pista+barfi", headers=hx, fragment=True),
        wrkload.Endpoint("search none", "/search?q=pizza"),
    ]
    options = {"cpu_probe": stack.cpu_times, "log": lambda m: print(m, flush=True)}
    if quick:
        options.update(rounds=1, duration="5s", warmup="2s")
    return wrkload.measure(stack.base_url, endpoints, **options)


def pages_with_cart(base: str, packs: dict) -> dict[str, tuple[str, dict | None]]:
    """name -> (path, cookies): a first visit; cart and checkout with one item in the cart."""
    shopper = cart_shopper(base, [(PRODUCT, packs["kaju-katli"]["variants"]["500 g"])])
    cookies = {"cart": shopper.cookies["cart"]}
    return {"home": ("/", None), "product": (PRODUCT, None),
            "cart": ("/cart", cookies), "checkout": ("/checkout", cookies)}


def weight_part(stack: BenchStack, pages: dict) -> dict:
    out = {}
    for name, (path, cookies) in pages.items():
        out[name] = pageweight.weigh(stack.base_url, path, cookies)
        w = out[name]
        print(f"    {name:<9} {w['total_without_photos'] / KB:5.1f} KB  (HTML {w['html'] / KB:.1f}, "
              f"CSS {w['css'] / KB:.1f}, JS {w['js'] / KB:.1f}, images {w['images'] / KB:.1f}, "
              f"photos {w['photos'] / KB:.1f})", flush=True)
    return out


def lighthouse_part(stack: BenchStack, pages: dict, runs: int) -> dict:
    lh_pages = {}
    for name, (path, cookies) in pages.items():
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None
        lh_pages[name] = (path, headers)
    return lhrun.measure(stack.base_url, lh_pages, RESULTS / "lighthouse", runs=runs,
                         log=lambda m: print(m, flush=True))


def orders_part(stack: BenchStack, packs: dict, quick: bool) -> dict:
    base = stack.base_url
    customers = 48 if quick else 200
    concurrency = 16
    lines = [(PRODUCT, packs["kaju-katli"]["variants"]["250 g"]),
             ("/p/motichoor-laddoo", packs["motichoor-laddoo"]["variants"]["250 g"])]
    before = {slug: stack.fixture("set-stock", slug, str(customers * 250 + 1000))["before"]
              for slug in ("kaju-katli", "motichoor-laddoo")}
    try:
        say(f"{customers} customers, {concurrency} at a time: cart of 2 lines, COD checkout")
        shoppers = checkouts.prepare_carts(base, customers, lines)
        load = checkouts.placement_under_load(base, shoppers, concurrency)
        print(f"    {load['orders']} orders in {load['seconds']:.1f} s: "
              f"{load['orders_per_s']:.1f} orders/s, POST p50 {load['post_p50_ms']:.0f} ms, "
              f"p99 {load['post_p99_ms']:.0f} ms; status {load['status']}", flush=True)
    finally:
        for slug, stock in before.items():
            stack.fixture("set-stock", slug, str(stock))

    slots = slot_part(stack, lines, customers, concurrency)

    say(f"oversell: stock of {OVERSELL_STOCK} single pieces, {OVERSELL_ATTEMPTS} simultaneous "
        "attempts")
    slug = "gulab-jamun"
    piece = packs[slug]["variants"]["Single piece"]
    original = stack.fixture("set-stock", slug, str(OVERSELL_ATTEMPTS))["before"]
    shoppers = checkouts.prepare_carts(base, OVERSELL_ATTEMPTS, [(f"/p/{slug}", piece)])
    stack.fixture("set-stock", slug, str(OVERSELL_STOCK))
    state_before = stack.fixture("product-state", slug)
    race = checkouts.oversell(base, shoppers)
    state_after = stack.fixture("product-state", slug)
    race.update(stock_before=OVERSELL_STOCK, stock_after=state_after["stock"],
                orders_in_database=state_after["orders"] - state_before["orders"])
    print(f"    {race['orders']} orders placed (database: {race['orders_in_database']}), "
          f"stock {race['stock_before']} -> {race['stock_after']}, status {race['status']}, "
          f"connection errors {race['connection_errors']}", flush=True)
    stack.fixture("set-stock", slug, str(original))
    return {"placement": load, "oversell": race, **slots}


SLOT_RACE_ATTEMPTS, SLOT_RACE_CAP = 100, 10


def slot_part(stack: BenchStack, lines, customers: int, concurrency: int) -> dict:
    """Issue 11: the same checkout load with every order booking one slot (no cap), next to
    the figure above; then 100 simultaneous checkouts for a slot capped at 10."""
    base = stack.base_url
    before = {slug: stack.fixture("set-stock", slug, str(customers * 250 + 1000))["before"]
              for slug in ("kaju-katli", "motichoor-laddoo")}
    old_cap = stack.fixture("slot-cap", "0")["before"]
    try:
        slot = checkouts.a_slot(days_ahead=3, hour=11)
        say(f"{customers} customers, {concurrency} at a time, every order booking slot {slot}")
        shoppers = checkouts.prepare_carts(base, customers, lines)
        booked = checkouts.placement_under_load(base, shoppers, concurrency, slot=slot)
        print(f"    {booked['orders']} orders: {booked['orders_per_s']:.1f} orders/s, POST p50 "
              f"{booked['post_p50_ms']:.0f} ms, p99 {booked['post_p99_ms']:.0f} ms; "
              f"status {booked['status']}", flush=True)
        race_slot = checkouts.a_slot(days_ahead=3, hour=17)
        stack.fixture("slot-cap", str(SLOT_RACE_CAP))
        say(f"slot race: {SLOT_RACE_ATTEMPTS} simultaneous checkouts for a slot of "
            f"{SLOT_RACE_CAP}")
        shoppers = checkouts.prepare_carts(base, SLOT_RACE_ATTEMPTS, lines[:1])
        race = checkouts.oversell(base, shoppers, slot=race_slot)
        race.update(stack.fixture("slot-state", race_slot))
        print(f"    {race['orders']} orders placed (slot booked {race['booked']}, database "
              f"{race['orders_in_slot']}), status {race['status']}, p99 {race['p99_ms']:.0f} ms",
              flush=True)
    finally:
        stack.fixture("slot-cap", str(old_cap))
        for slug, stock in before.items():
            stack.fixture("set-stock", slug, str(stock))
    return {"placement_with_slot": booked, "slot_race": race}


# --- budgets and the table ---------------------------------------------------------------


def check_budgets(results: dict, stack: BenchStack) -> tuple[list[str], list[str]]:
    met, missed = [], []

    def check(ok: bool, text: str):
        (met if ok else missed).append(text)

    for name, w in results.get("page_weight", {}).items():
        check(w["total_without_photos"] <= BUDGETS["page_total_kb"] * KB,
              f"{name}: first visit {w['total_without_photos'] / KB:.1f} KB "
              f"(≤ {BUDGETS['page_total_kb']} KB without photos)")
        check(w["js"] <= BUDGETS["page_js_kb"] * KB,
              f"{name}: JS {w['js'] / KB:.1f} KB (≤ {BUDGETS['page_js_kb']} KB)")
    for name, lh in results.get("lighthouse", {}).get("pages", {}).items():
        check(lh["performance"] >= BUDGETS["lh_performance"],
              f"{name}: Lighthouse performance {lh['performance']:g} (≥ {BUDGETS['lh_performance']})")
        check(lh["accessibility"] >= BUDGETS["lh_accessibility"],
              f"{name}: Lighthouse accessibility {lh['accessibility']:g} (= 100)")
        check(lh["best_practices"] >= BUDGETS["lh_best_practices"],
              f"{name}: Lighthouse best practices {lh['best_practices']:g} "
              f"(≥ {BUDGETS['lh_best_practices']})")
    load = results.get("load", {}).get("endpoints", {})
    if load:
        ratio = load["product"]["ratio_to_ping"]
        check(ratio >= BUDGETS["product_ratio_to_ping"],
              f"product page throughput {ratio:.2f} × /ping (≥ {BUDGETS['product_ratio_to_ping']})")
        for name, r in load.items():
            if r["fragment"]:
                check(r["p99_ms"] <= BUDGETS["fragment_p99_ms"],
                      f"{name}: p99 {r['p99_ms']:.1f} ms at 16 connections "
                      f"(≤ {BUDGETS['fragment_p99_ms']} ms)")
            check(r["status_5xx"] == 0, f"{name}: {r['status_5xx']} responses 5xx under load (0)")
            check(r["non_2xx_3xx"] == 0 and r["socket_errors"] == 0,
                  f"{name}: {r['non_2xx_3xx']} non-2xx/3xx, {r['socket_errors']} socket errors (0)")
    for name, r in results.get("search", {}).get("endpoints", {}).items():
        if name == "ping":
            continue
        check(r["p99_ms"] <= BUDGETS["search_p99_ms"],
              f"/search ({name}): p99 {r['p99_ms']:.1f} ms at 16 connections, "
              f"{r['ratio_to_ping']:.2f} × /ping (≤ {BUDGETS['search_p99_ms']} ms)")
        check(r["status_5xx"] == 0 and r["non_2xx_3xx"] == 0,
              f"/search ({name}): {r['status_5xx']} 5xx, {r['non_2xx_3xx']} non-2xx/3xx (0)")
    orders = results.get("orders")
    if orders:
        p, race = orders["placement"], orders["oversell"]
        check(p["status"]["5xx"] == 0 and p["orders"] == p["customers"],
              f"checkout under load: {p['orders']}/{p['customers']} orders, "
              f"{p['status']['5xx']} 5xx")
        check(race["orders"] == OVERSELL_STOCK and race["orders_in_database"] == OVERSELL_STOCK
              and race["stock_after"] == 0,
              f"oversell: {race['orders_in_database']} orders for a stock of {OVERSELL_STOCK}, "
              f"stock left {race['stock_after']} (exactly {OVERSELL_STOCK}, 0 left)")
        check(race["status"]["5xx"] == 0 and race["connection_errors"] == 0,
              f"oversell race: {race['status']['5xx']} 5xx, {race['connection_errors']} "
              "connection errors (0)")
    slow = results.get("slow_clients")
    if slow:
        misses = slowloris.budget_misses(slow)
        check(not misses, "; ".join(misses) or slowloris.describe(slow))
    errors = stack.gunicorn_errors()
    results["server_errors_logged"] = errors[:50]
    check(not errors, f"server log: {len(errors)} errors/tracebacks (0)")
    return met, missed


def print_table(results: dict) -> None:
    for key, title in (("load", "HTTP load"), ("search", f"Search, {SEARCH_CATALOGUE} sweets")):
        _print_load(results.get(key), title)
    _print_rest(results)


def _print_load(load: dict | None, title: str) -> None:
    if load:
        print(f"\n{title}: {load['tool']}, -t{load['threads']} -c{load['connections']} "
              f"-d{load['duration']} --latency, median of {load['rounds']}")
        print("  (× ping: median of the per-round ratios; CPU ms/req: server CPU per request, "
              "gunicorn workers and PostgreSQL backends; CPU × ping: ping's CPU cost over this one's)")
        print(f"  {'endpoint':<14} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'best p99':>8} "
              f"{'× ping':>6} {'non-2xx/3xx':>11} {'5xx':>4} {'CPU app':>7} {'CPU db':>6} "
              f"{'CPU × ping':>10}")
        for name, r in load["endpoints"].items():
            cpu = r.get("cpu_ms_per_request") or {}
            print(f"  {name:<14} {r['rps']:7.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
                  f"{r.get('best_p99_ms', 0):8.1f} {r['ratio_to_ping']:6.2f} "
                  f"{r['non_2xx_3xx']:11d} {r['status_5xx']:4d} {cpu.get('app', 0):7.2f} "
                  f"{cpu.get('db', 0):6.2f} {r.get('cpu_cost_ratio_to_ping', 1.0):10.2f}")


def _print_rest(results: dict) -> None:
    weight = results.get("page_weight")
    if weight:
        print("\nPage weight, first visit, bytes on the wire (KB = 1024 B; photos apart)")
        print(f"  {'page':<9} {'total':>6} {'HTML':>6} {'CSS':>6} {'JS':>6} {'images':>7} "
              f"{'photos':>7}")
        for name, w in weight.items():
            print(f"  {name:<9} {w['total_without_photos'] / KB:6.1f} {w['html'] / KB:6.1f} "
                  f"{w['css'] / KB:6.1f} {w['js'] / KB:6.1f} {w['images'] / KB:7.1f} "
                  f"{w['photos'] / KB:7.1f}")
    lh = results.get("lighthouse")
    if lh:
        print(f"\nLighthouse {lh['lighthouse']}, {lh['profile']}, median of {lh['runs']}")
        print(f"  {'page':<9} {'perf':>5} {'a11y':>5} {'b.p.':>5} {'LCP ms':>7} {'TBT ms':>7} "
              f"{'CLS':>6}")
        for name, p in lh["pages"].items():
            print(f"  {name:<9} {p['performance']:5g} {p['accessibility']:5g} "
                  f"{p['best_practices']:5g} {p['lcp_ms']:7.0f} {p['tbt_ms']:7.0f} {p['cls']:6.3f}")
    orders = results.get("orders")
    if orders:
        p, race = orders["placement"], orders["oversell"]
        print(f"\nCheckouts: {p['customers']} COD orders, {p['concurrency']} at a time: "
              f"{p['orders_per_s']:.1f} orders/s, POST /checkout p50 {p['post_p50_ms']:.0f} ms, "
              f"p99 {p['post_p99_ms']:.0f} ms, 5xx {p['status']['5xx']}")
        print(f"Oversell: {race['attempts']} simultaneous attempts at a stock of "
              f"{race['stock_before']}: {race['orders_in_database']} orders, stock left "
              f"{race['stock_after']}, refused {race['status']['4xx']}, 5xx {race['status']['5xx']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for trying things")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument("--skip-orders", action="store_true")
    parser.add_argument("--skip-slowloris", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results: dict = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                     "quick": args.quick, "budgets": BUDGETS}
    with BenchStack(workers=args.workers) as stack:
        results["machine"] = {**machine_notes(stack), "loadavg_at_start": load_at_start}
        packs = stack.fixture("info")["products"]
        if not args.skip_load:
            say("HTTP load (wrk)")
            results["load"] = load_part(stack, packs, args.quick)
        pages = pages_with_cart(stack.base_url, packs)
        say("page weight")
        results["page_weight"] = weight_part(stack, pages)
        if not args.skip_lighthouse:
            say("Lighthouse")
            results["lighthouse"] = lighthouse_part(stack, pages, 1 if args.quick else 3)
        if not args.skip_orders:
            say("order placement")
            results["orders"] = orders_part(stack, packs, args.quick)
        if not args.skip_slowloris:
            say("slow clients (50 connections, a line every 5 s) while /ping is asked")
            results["slow_clients"] = slowloris.measure(stack.base_url, connections=50,
                                                        interval=5,
                                                        duration=15 if args.quick else 60)
            print(f"    {slowloris.describe(results['slow_clients'])}", flush=True)
        if not args.skip_search:  # last: it adds sweets to the catalogue
            say(f"search over {SEARCH_CATALOGUE} sweets (wrk)")
            results["search"] = search_part(stack, args.quick)
        met, missed = check_budgets(results, stack)
    results["budgets_met"], results["budgets_missed"] = met, missed
    results["seconds"] = round(time.monotonic() - started)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    print_table(results)
    load_start = results["machine"]["loadavg_at_start"][0]
    if load_start > (os.cpu_count() or 1):
        print(f"\nNote: load average was {load_start:.1f} on {os.cpu_count()} CPUs when the bench "
              "started: other processes shared the machine, so req/s and p99 are pessimistic "
              "(CPU ms/req and the ratios hold better).")
    print(f"\nBudgets: {len(met)} met, {len(missed)} missed  (bench/results/latest.json, "
          f"{results['seconds']} s)")
    for text in missed:
        print(f"  MISSED  {text}")
    if args.quick:
        print("  (--quick: short runs; use the full run for figures)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
