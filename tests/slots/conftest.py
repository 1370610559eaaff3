"""Slot test fixtures: a signed-in owner for the kitchen pages (as tests/admin/ has)."""
from __future__ import annotations

import pytest

from tests.admin.helpers import OWNER_EMAIL, OWNER_PASSWORD, sign_in


@pytest.fixture
def owner(in_db):
    """An owner account (email, password) in the database."""
    from sweetshop.services.admin_auth import create_or_reset_admin

    in_db(lambda: create_or_reset_admin(OWNER_EMAIL, OWNER_PASSWORD))
    return OWNER_EMAIL, OWNER_PASSWORD


@pytest.fixture
def owner_client(app, owner):
    """A test client signed in as the owner."""
    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client
