"""Staff of every role, signed in, and helpers to race real concurrent connections."""
from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from sweetshop.extensions import db
from sweetshop.models import AdminUser
from tests.admin.helpers import sign_in

PASSWORD = "a long staff password"
PHONES = {"owner": "+919800000001", "counter": "+919800000002", "delivery": "+919800000003",
          "delivery2": "+919800000004"}


def make_staff(role: str, name: str, phone: str, email: str | None = None) -> int:
    user = AdminUser(name=name, phone=phone, email=email, role=role,
                     password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    db.session.add(user)
    db.session.commit()
    return user.id


@pytest.fixture
def staff(in_db):
    """{role: id}: an owner (Meera), a counter (Kiran), two delivery people (Ravi, Sunil)."""
    def run():
        return {
            "owner": make_staff("owner", "Meera Shah", PHONES["owner"], "meera@mithaas.example"),
            "counter": make_staff("counter", "Kiran Das", PHONES["counter"]),
            "delivery": make_staff("delivery", "Ravi Kumar", PHONES["delivery"]),
            "delivery2": make_staff("delivery", "Sunil Rao", PHONES["delivery2"]),
        }
    return in_db(run)


@pytest.fixture
def client_as(app, staff):
    """client_as("counter"): a test client signed in with that person's phone number."""
    def make(who: str):
        client = app.test_client()
        response = sign_in(client, PHONES[who], PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return make
