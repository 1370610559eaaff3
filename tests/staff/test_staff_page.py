"""The owner adds a person; their one-time set-up link (24 h, single use) sets a password."""
from __future__ import annotations

import re
from datetime import timedelta

from sweetshop.extensions import db
from sweetshop.models import AdminUser, StaffSetupLink, utcnow
from tests.admin.helpers import post_form, sign_in, token_from


def add_person(client, **fields):
    data = {"name": "Arjun Nair", "phone": "98765 11111", "email": "", "role": "delivery",
            **fields}
    response = post_form(client, "/admin/staff", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get("/admin/staff").get_data(as_text=True)
    return re.search(r'value="(http://[^"]+/admin/setup/[^"]+)"', page).group(1)


def test_a_new_person_sets_a_password_once_and_signs_in_with_their_phone(app, client_as):
    link = add_person(client_as("owner"))
    path = link.split("localhost", 1)[-1]
    ravi = app.test_client()
    assert sign_in(ravi, "+919876511111", "a brand new password").status_code == 401
    token = token_from(ravi, path)
    response = ravi.post(path, data={"csrf_token": token, "password": "short"})
    assert response.status_code == 422  # too short: the link still works
    response = ravi.post(path, data={"csrf_token": token, "password": "a brand new password"})
    assert response.status_code == 303
    assert ravi.get(path).status_code == 410  # used
    assert sign_in(ravi, "98765 11111", "a brand new password").headers["Location"] \
        .endswith("/delivery")


def test_the_link_is_shown_once(app, client_as):
    owner = client_as("owner")
    add_person(owner)
    assert "/admin/setup/" not in owner.get("/admin/staff").get_data(as_text=True)


def test_an_expired_link_does_not_work(app, client_as, in_db):
    link = add_person(client_as("owner"))
    path = link.split("localhost", 1)[-1]

    def expire():
        for row in db.session.query(StaffSetupLink):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    in_db(expire)
    client = app.test_client()
    assert client.get(path).status_code == 410
    token = token_from(client, "/admin/login")
    assert client.post(path, data={"csrf_token": token,
                                   "password": "a brand new password"}).status_code == 410
    assert in_db(lambda: db.session.query(AdminUser).filter_by(
        name="Arjun Nair").one().password_hash) == ""


def test_a_phone_already_on_the_staff_is_refused(app, client_as):
    owner = client_as("owner")
    add_person(owner)
    response = post_form(owner, "/admin/staff", {"name": "Someone", "phone": "9876511111",
                                                 "email": "", "role": "counter"})
    assert response.status_code == 422
    assert "already has this phone" in response.get_data(as_text=True)
