"""The shop's settings row."""
from ..extensions import db
from ..models import ShopSettings


def get_settings() -> ShopSettings:
    """The single settings row, created with defaults the first time it is asked for."""
    settings = db.session.get(ShopSettings, 1)
    if settings is None:
        settings = ShopSettings(id=1)
        db.session.add(settings)
        db.session.flush()
    return settings
