import pytest
import responses

from tests.payments.helpers import RAZORPAY_CONFIG, FakeRazorpay


@pytest.fixture
def razorpay_on(app, monkeypatch):
    """Razorpay keys (made up) on the shared app, for this test only."""
    for key, value in RAZORPAY_CONFIG.items():
        monkeypatch.setitem(app.config, key, value)
    app.extensions.pop("razorpay_clients", None)
    yield app
    app.extensions.pop("razorpay_clients", None)


@pytest.fixture
def fake_razorpay(razorpay_on):
    """Razorpay's API faked at the HTTP boundary: the real SDK and our adapter both run."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeRazorpay(rsps)


