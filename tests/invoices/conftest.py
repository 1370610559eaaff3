"""Invoice fixtures: a shop registered as regular in Karnataka, and its sweets."""
from __future__ import annotations

import pytest

from tests.factories import make_product
from tests.invoices.helpers import register_shop


@pytest.fixture
def regular_shop(ctx):
    return register_shop()


@pytest.fixture
def kaju(ctx):
    return make_product("Kaju Katli")
