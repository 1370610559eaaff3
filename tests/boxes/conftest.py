"""Fixtures for box tests: four sweets and a 1 kg box of four compartments, as plain values."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from sweetshop.extensions import db
from tests.admin.conftest import owner, owner_client  # noqa: F401 (fixtures)
from tests.boxes.helpers import make_box_type, make_sweets
from tests.views.conftest import count  # noqa: F401 (fixture)


@dataclass(frozen=True)
class BoxShop:
    box_id: int
    box_slug: str
    sweets: dict[str, int]           # name -> product id
    kaju_packs: dict[str, int]       # pack name -> variant id


@pytest.fixture
def box_shop(in_db) -> BoxShop:
    def build():
        sweets = make_sweets(stock=5000)
        box_type = make_box_type(sweets)
        shop = BoxShop(box_type.id, box_type.slug, {s.name: s.id for s in sweets},
                       {v.name: v.id for v in sweets[0].variants})
        db.session.commit()
        return shop
    return in_db(build)
