"""The shop's settings row."""
from sqlalchemy.dialects.postgresql import insert

from ..extensions import db
from ..models import ShopSettings


def get_settings() -> ShopSettings:
    """The single settings row, created with defaults the first time it is asked for.

    The row is created in its own short, committed transaction (INSERT ... ON CONFLICT DO
    NOTHING), so concurrent first requests neither collide on the key nor wait on each other.
    """
    settings = db.session.get(ShopSettings, 1)
    if settings is None:
        with db.engine.begin() as connection:
            connection.execute(insert(ShopSettings).values(id=1).on_conflict_do_nothing())
        settings = db.session.get(ShopSettings, 1)
    return settings
