from sweetshop.demo import seed_demo
from sweetshop.extensions import db
from sweetshop.models import Product


def test_seed_demo_is_idempotent(ctx):
    assert seed_demo() is True
    count = db.session.query(Product).count()
    assert seed_demo() is False
    assert db.session.query(Product).count() == count >= 10
