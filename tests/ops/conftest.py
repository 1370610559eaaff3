"""Operations fixtures: the view and lookup helpers, and the log as it is written."""
from __future__ import annotations

import io
import json
import logging

import pytest

from tests.lookup.conftest import Customer, codes  # noqa: F401  (fixtures)
from tests.views.conftest import (  # noqa: F401  (fixtures shared with the view tests)
    VALID_CHECKOUT,
    Shopper,
    checkout_details,
    count,
    csrf_token_in,
    make_sweet,
    shop_settings,
    shopper,
)


class CapturedLog:
    """Every line the app writes while the fixture is active, formatted exactly as the
    production handler formats it (JSON, masked)."""

    def __init__(self):
        from sweetshop.logs import ContextFilter, JsonFormatter

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(ContextFilter())

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def captured_log():
    log = CapturedLog()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(log.handler)
    root.setLevel(logging.INFO)
    try:
        yield log
    finally:
        root.removeHandler(log.handler)
        root.setLevel(previous)


@pytest.fixture
def customer(client, codes):  # noqa: F811
    return Customer(client, codes)


@pytest.fixture
def owner(in_db):
    from sweetshop.services.admin_auth import create_or_reset_admin
    from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD

    in_db(lambda: create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD))
    return OWNER_EMAIL, OWNER_PASSWORD


@pytest.fixture
def owner_client(app, owner):
    from tests.admin.helpers import sign_in

    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
