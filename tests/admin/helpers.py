"""Helpers for admin tests: sign in and post forms the way a browser does (CSRF on)."""
from __future__ import annotations

import re

OWNER_EMAIL = "owner@mithaas.example"
OWNER_PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def token_from(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return csrf_token_in(page.get_data(as_text=True))


def sign_in(client, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD, **kwargs):
    # Someone already signed in is sent on from the sign-in page: take the token there.
    page = client.get("/admin/login")
    token = csrf_token_in(client.get(page.headers["Location"]).get_data(as_text=True)
                          if page.status_code == 303 else page.get_data(as_text=True))
    return client.post("/admin/login", data={"csrf_token": token, "email": email,
                                             "password": password}, **kwargs)


def post_form(client, path: str, data: dict, *, page: str | None = None, htmx: bool = False):
    """POST a form from `page` (default: `path`) with that page's CSRF token."""
    data = {"csrf_token": token_from(client, page or path), **data}
    return client.post(path, data=data, headers={"HX-Request": "true"} if htmx else {})
