"""The customer's own time for a two-item cash order, on a cheap phone (issue 13).

A scripted Chromium at 360×640 (touch, DPR 2) on a slow-3G profile (400 ms RTT, 400 kbit/s
both ways, as Lighthouse's and DevTools' "Slow 3G") with the CPU slowed 4× drives the shop
as a person would, by accessible names, and counts:

  taps        every tap (a link, a button, a field to type into)
  characters  every character typed
  waits       the seconds from a tap to the page being usable again (navigation done or the
              htmx swap settled), measured

The customer's own time is waits + taps × TAP_SECONDS + characters × CHAR_SECONDS: the
time to find and reach each target (about a second on a phone) and to type (about two
characters a second with one thumb on a phone keyboard). Fields the browser would
autofill are typed in full: this is a first visit on a phone that has never seen the shop.

Two runs: first-time (empty browser: two Adds on the home page, cart, checkout, four
fields, Remember me, place order) and returning (the same browser the next day: two
Adds, cart, checkout, place order; details filled in from the remembered phone).

    .venv/bin/python bench/journey.py --base http://127.0.0.1:8130 [--no-throttle]

Needs a running shop with the demo catalogue (flask seed-demo). Prints a table and writes
bench/results/journey.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

TAP_SECONDS = 1.0
CHAR_SECONDS = 0.5
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 / 8,
           "uploadThroughput": 400 * 1024 / 8}
CPU_SLOWDOWN = 4
CUSTOMER = {"name": "Asha Rao", "phone": "9876501234",
            "address": "12 MG Road, Indiranagar", "pincode": "560038"}
RESULTS = Path(__file__).resolve().parent / "results"


class Journey:
    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.characters = 0
        self.waits = 0.0
        self.steps: list[str] = []

    def _settle(self, started: float, navigation: bool):
        if navigation:
            self.page.wait_for_load_state("load")
        else:  # an htmx swap: wait until no request is in flight
            self.page.wait_for_function("!document.querySelector('.htmx-request')")
        self.page.wait_for_timeout(50)
        self.waits += time.monotonic() - started

    def open(self, url: str):
        started = time.monotonic()
        self.page.goto(url, wait_until="load")
        self.waits += time.monotonic() - started
        self.steps.append(f"open {url}")

    def tap(self, locator, label: str, navigation: bool):
        self.taps += 1
        started = time.monotonic()
        if navigation:
            with self.page.expect_navigation(wait_until="load"):
                locator.tap()
        else:
            with self.page.expect_response(lambda r: r.request.method == "POST"):
                locator.tap()
        self._settle(started, navigation)
        self.steps.append(f"tap {label}")

    def type(self, locator, text: str, label: str):
        self.taps += 1  # the tap into the field
        locator.tap()
        locator.fill("")
        locator.press_sequentially(text)
        self.characters += len(text)
        self.steps.append(f"type {label} ({len(text)})")

    def tick(self, locator, label: str):
        self.taps += 1
        locator.tap()
        self.steps.append(f"tick {label}")

    def result(self, seconds: float) -> dict:
        own = self.waits + self.taps * TAP_SECONDS + self.characters * CHAR_SECONDS
        return {"taps": self.taps, "characters": self.characters,
                "waits_s": round(self.waits, 1), "customer_time_s": round(own, 1),
                "wall_s": round(seconds, 1), "steps": self.steps}


def buy_two(j: Journey, base: str):
    page = j.page
    j.open(base + "/")
    j.tap(page.get_by_role("button", name="Add 250 g Kaju Katli"), "Add Kaju Katli", False)
    j.tap(page.get_by_role("button", name="Add 250 g Motichoor Laddoo"), "Add Motichoor", False)
    j.tap(page.get_by_role("link", name="View cart"), "View cart", True)
    j.tap(page.get_by_role("link", name="Checkout"), "Checkout", True)


def first_time(context, base: str) -> dict:
    page = context.new_page()
    j = Journey(page)
    started = time.monotonic()
    buy_two(j, base)
    j.type(page.get_by_label("Name", exact=True), CUSTOMER["name"], "name")
    j.type(page.get_by_label("Phone", exact=True), CUSTOMER["phone"], "phone")
    j.type(page.get_by_label("Delivery address"), CUSTOMER["address"], "address")
    j.type(page.get_by_label("Pincode", exact=True), CUSTOMER["pincode"], "pincode")
    j.tick(page.get_by_label("Remember me next time"), "remember me")
    j.tap(page.get_by_role("button", name="Place order"), "Place order", True)
    assert "/orders/" in page.url, page.url
    page.close()
    return j.result(time.monotonic() - started)


def returning(context, base: str) -> dict:
    page = context.new_page()
    j = Journey(page)
    started = time.monotonic()
    buy_two(j, base)
    assert page.get_by_label("Name", exact=True).input_value() == CUSTOMER["name"]
    j.tap(page.get_by_role("button", name="Place order"), "Place order", True)
    assert "/orders/" in page.url, page.url
    page.close()
    return j.result(time.monotonic() - started)


def throttle(context, page_factory):
    def apply(page):
        session = context.new_cdp_session(page)
        session.send("Network.enable")
        session.send("Network.emulateNetworkConditions", SLOW_3G)
        session.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    context.on("page", apply)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8130")
    parser.add_argument("--no-throttle", action="store_true")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu",
                                          "--disable-dev-shm-usage"])
        context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True,
                                      has_touch=True, device_scale_factor=2)
        context.set_default_timeout(60_000)
        if not args.no_throttle:
            throttle(context, None)
        results = {"profile": "360x640 DPR 2, " + ("no throttling" if args.no_throttle else
                   f"slow 3G (400 ms, 400 kbit/s), CPU {CPU_SLOWDOWN}x"),
                   "tap_seconds": TAP_SECONDS, "char_seconds": CHAR_SECONDS,
                   "first_time": first_time(context, args.base),
                   "returning": returning(context, args.base)}
        browser.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "journey.json").write_text(json.dumps(results, indent=2))
    print(results["profile"])
    print(f"{'':12} {'taps':>5} {'chars':>6} {'waits s':>8} {'own time s':>11}")
    for name in ("first_time", "returning"):
        r = results[name]
        print(f"{name:12} {r['taps']:>5} {r['characters']:>6} {r['waits_s']:>8} "
              f"{r['customer_time_s']:>11}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
