"""Order placement under load (concurrent cash-on-delivery checkouts) and the oversell check.

Every simulated customer has a cart of their own, filled as a person without JavaScript
fills it (product page, Add to cart), then opens /checkout (CSRF token, the signed basket
and the form's one-time idempotency key) and submits it.
"""
from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from shopper import Shopper, add_to_cart, hidden_inputs

CUSTOMER = {
    "name": "Bench Customer",
    "phone": "98765 43210",
    "address": "12 MG Road, Indiranagar, Bengaluru",
    "pincode": "560001",
    "note": "",
    "payment_method": "cod",
}


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def prepare_carts(base_url: str, count: int, lines: list[tuple[str, int]]) -> list[Shopper]:
    """`count` shoppers, each with a cart holding `lines` ((product path, variant id))."""
    def one(_):
        shopper = Shopper(base_url)
        for path, variant_id in lines:
            add_to_cart(shopper, path, variant_id)
        shopper.close()
        return shopper

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def open_checkout(shopper: Shopper, slot: str | None = None) -> dict:
    """The checkout form as a customer submits it; with `slot` ("2026-10-31T17:00"), a
    delivery booked for that slot (issue 11) instead of "as soon as possible"."""
    page = shopper.get("/checkout")
    if page.status != 200:
        raise RuntimeError(f"GET /checkout answered {page.status}")
    inputs = hidden_inputs(page.text)
    form = {"csrf_token": inputs["csrf_token"], "idempotency_key": inputs["idempotency_key"],
            "basket": inputs["basket"], **CUSTOMER}
    if slot:
        form.update(fulfilment="delivery", slot=slot, day=slot[:10])
    return form


def a_slot(days_ahead: int = 2, hour: int = 17) -> str:
    """A slot of the default hours (9 am to 9 pm, 2-hour slots) a few days ahead, IST."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    day = datetime.now(ZoneInfo("Asia/Kolkata")).date() + timedelta(days=days_ahead)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


def submit(shopper: Shopper, form: dict) -> tuple[int, float, str]:
    resp = shopper.post("/checkout", form)
    location = resp.header("Location") or ""
    return resp.status, resp.seconds, location


def _status_classes(statuses: list[int]) -> dict[str, int]:
    out = {"2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0}
    for s in statuses:
        out[f"{s // 100}xx"] = out.get(f"{s // 100}xx", 0) + 1
    return out


def placement_under_load(base_url: str, shoppers: list[Shopper], concurrency: int,
                         slot: str | None = None) -> dict:
    """Each worker thread takes the next customer: GET /checkout, then POST /checkout
    (for `slot`, when given: every order books the same slot)."""
    lock = threading.Lock()
    pending = list(shoppers)
    post_seconds: list[float] = []
    pair_seconds: list[float] = []
    statuses: list[int] = []
    placed = 0

    def worker():
        nonlocal placed
        while True:
            with lock:
                if not pending:
                    return
                shopper = pending.pop()
            started = time.perf_counter()
            form = open_checkout(shopper, slot)
            status, seconds, location = submit(shopper, form)
            shopper.close()
            with lock:
                statuses.append(status)
                post_seconds.append(seconds)
                pair_seconds.append(time.perf_counter() - started)
                if status == 303 and "/orders/" in location:
                    placed += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "customers": len(shoppers), "concurrency": concurrency, "orders": placed,
        "seconds": wall, "orders_per_s": placed / wall,
        "post_p50_ms": statistics.median(post_seconds) * 1000,
        "post_p99_ms": _percentile(post_seconds, 99) * 1000,
        "checkout_pair_p99_ms": _percentile(pair_seconds, 99) * 1000,
        "status": _status_classes(statuses),
    }


def oversell(base_url: str, shoppers: list[Shopper], slot: str | None = None) -> dict:
    """All forms are opened first (stock is there for every one of them), then every
    customer presses Place order at the same moment. With `slot`, all for that one slot:
    the slot race (100 checkouts for a slot capped at 10)."""
    with ThreadPoolExecutor(8) as pool:
        forms = list(pool.map(lambda s: open_checkout(s, slot), shoppers))
    for s in shoppers:
        s.close()
    barrier = threading.Barrier(len(shoppers))
    results: list[tuple[int, float, str]] = [None] * len(shoppers)  # type: ignore[list-item]

    def attempt(i: int):
        barrier.wait()
        try:
            results[i] = submit(shoppers[i], forms[i])
        except Exception as exc:  # a refused connection counts against us, not as a crash
            results[i] = (0, 0.0, repr(exc))
        shoppers[i].close()

    started = time.perf_counter()
    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(shoppers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    statuses = [r[0] for r in results]
    placed = sum(1 for status, _, location in results if status == 303 and "/orders/" in location)
    return {"attempts": len(shoppers), "orders": placed, "seconds": wall,
            "status": _status_classes([s for s in statuses if s]),
            "connection_errors": sum(1 for s in statuses if not s),
            "p99_ms": _percentile([r[1] for r in results if r[0]], 99) * 1000}
