import pytest

from tests.notifications.helpers import ACCOUNT_SID, AUTH_TOKEN

TWILIO_CONFIG = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_SMS_FROM": "+15005550006",
    "TWILIO_WHATSAPP_FROM": "+14155238886",
    "TWILIO_WA_TEMPLATES": {"order_placed": "HX" + "a" * 32},
    "PUBLIC_BASE_URL": "https://shop.example.in",
}


@pytest.fixture
def twilio_configured(app):
    """The app with Twilio credentials (made up): the real SDK runs, HTTP is faked."""
    saved = {k: app.config.get(k) for k in TWILIO_CONFIG}
    app.config.update(TWILIO_CONFIG)
    app.extensions.pop("messenger", None)
    yield app
    app.config.update(saved)
    app.extensions.pop("messenger", None)
