"""Lookup fixtures: the view helpers (CSRF-honest shopper, in_db), customers with orders,
and the one-time codes captured as they are made (only their hashes reach the database)."""
from __future__ import annotations

import pytest

from sweetshop.extensions import db
from sweetshop.models import LookupCode
from tests.factories import make_order, make_product
from tests.views.conftest import (  # noqa: F401  (fixtures shared with the view tests)
    Shopper,
    count,
    csrf_token_in,
    make_sweet,
    shop_settings,
    shopper,
)

PHONE = "+919876543210"
OTHER_PHONE = "+919812345678"


@pytest.fixture
def codes(monkeypatch):
    """Every code the app makes, in order; codes[-1] is the latest. Also set `codes.next`
    to choose the next code."""

    class Codes(list):
        next: str | None = None

    made = Codes()

    def generate():
        code = made.next or f"{100000 + len(made):06d}"
        made.next = None
        made.append(code)
        return code

    monkeypatch.setattr("sweetshop.services.otp.generate_code", generate)
    return made


@pytest.fixture
def customer_order(in_db):
    """A customer (PHONE) with one order: 2 × Kaju Katli 500 g and 1 × Laddoo 1 kg."""

    def build():
        kaju = make_product("Kaju Katli", stock=5000)
        laddoo = make_product("Motichoor Laddoo", stock=5000)
        order = make_order((kaju, "500 g", 2), (laddoo, "1 kg", 1), phone=PHONE)
        return {"number": order.number, "token": order.public_token, "id": order.id,
                "kaju": kaju.id, "laddoo": laddoo.id}

    return in_db(build)


@pytest.fixture
def age_codes(in_db):
    """Make every code (and attempt) older by a timedelta, as if time had passed."""
    from sweetshop.models import LookupAttempt

    def age(delta):
        def run():
            for row in db.session.query(LookupCode):
                row.created_at -= delta
                row.expires_at -= delta
            for row in db.session.query(LookupAttempt):
                row.created_at -= delta
            db.session.commit()
        in_db(run)

    return age


class Customer:
    """A browser-like client going through My orders: phone, code, verify."""

    def __init__(self, client, codes):
        self.client, self.codes = client, codes

    def token(self, path="/my-orders"):
        page = self.client.get(path)
        return csrf_token_in(page.get_data(as_text=True))

    def send_code(self, phone, *, htmx=False, environ=None):
        return self.client.post("/my-orders/code", data={"csrf_token": self.token(), "phone": phone},
                                headers={"HX-Request": "true"} if htmx else {},
                                environ_base=environ or {})

    def verify(self, code, *, htmx=False, environ=None):
        return self.client.post("/my-orders/verify",
                                data={"csrf_token": self.token(), "code": code},
                                headers={"HX-Request": "true"} if htmx else {},
                                environ_base=environ or {})

    def sign_in(self, phone=PHONE):
        assert self.send_code(phone).status_code == 303
        response = self.verify(self.codes[-1])
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def post(self, path, data=None, *, htmx=False):
        data = {"csrf_token": self.token(), **(data or {})}
        return self.client.post(path, data=data, headers={"HX-Request": "true"} if htmx else {})


@pytest.fixture
def customer(client, codes):
    return Customer(client, codes)
