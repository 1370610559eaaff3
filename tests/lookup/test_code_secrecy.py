"""A one-time code is kept in plain text only while it is needed to send it: once Twilio has
it, and at the latest when the code expires, no row in the database holds it.

The code is in the outbox row until sent (the job needs it, and the lookup_code row holds
only an HMAC), then replaced by "your code is ••••••"; a row not sent within the code's
10 minutes is expired by the sweeper and never sent."""
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select, text

from sweetshop import periodic
from sweetshop.extensions import db
from sweetshop.models import Notification
from sweetshop.services import notifications as outbox
from sweetshop.services import otp
from sweetshop.services.errors import InvalidTransition
from tests.lookup.conftest import PHONE
from tests.notifications.conftest import twilio_configured  # noqa: F401  (a fixture)
from tests.notifications.helpers import MESSAGES_URL

HOME = "203.0.113.7"
REDACTED = "Sweetshop: your code is ••••••. It expires in 10 minutes. Do not share it."


def tables_holding(secret: str) -> list[str]:
    """Every table with a row whose text (all columns) contains `secret`."""
    found = []
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f'SELECT t::text FROM "{table.name}" t')).scalars()
        if any(secret in row for row in rows):
            found.append(table.name)
    return found


def code_row() -> Notification:
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.kind == "lookup_code")).one()


def age_code_rows(by: timedelta) -> None:
    db.session.query(Notification).filter_by(kind="lookup_code").update(
        {Notification.created_at: Notification.created_at - by})
    db.session.commit()


def twilio(status=201, **json):
    responses.add(responses.POST, MESSAGES_URL, status=status,
                  json=json or {"sid": "SM" + "c" * 32, "status": "queued"})


@pytest.fixture
def asked(ctx, codes, customer_order, twilio_configured):  # noqa: F811
    otp.request_code(PHONE, HOME)
    assert codes[-1] in code_row().body  # the job needs it to send
    return codes[-1]


@responses.activate
def test_the_code_arrives_and_then_no_row_holds_it(asked):
    twilio()
    assert outbox.deliver(code_row().id) == "sent"
    sent = {k: v[0] for k, v in parse_qs(responses.calls[0].request.body).items()}
    assert f"your code is {asked}." in sent["Body"]
    assert tables_holding(asked) == []
    assert (code_row().body, code_row().variables) == (REDACTED, {"1": "••••••"})


@responses.activate
def test_a_code_not_sent_within_its_lifetime_is_forgotten_and_never_sent(app, asked):
    twilio(status=503, code=None, message="Service Unavailable", more_info="")
    assert outbox.deliver(code_row().id) == "retry"
    assert code_row().status == "queued"
    age_code_rows(timedelta(minutes=10))
    results = periodic.run_once()
    assert results["expired_codes"] == 1 and results["notifications"] == 0  # not re-enqueued
    row = code_row()
    assert (row.status, row.body) == ("expired", REDACTED)
    assert "expired before it could be sent" in row.error_message
    assert tables_holding(asked) == []
    assert outbox.deliver(row.id) == "done" and len(responses.calls) == 1


@responses.activate
def test_a_code_whose_send_failed_for_good_is_forgotten_when_it_expires(asked):
    twilio(status=400, code=21211, message="Invalid 'To' Phone Number", more_info="")
    assert outbox.deliver(code_row().id) == "failed"
    age_code_rows(timedelta(minutes=10))
    assert outbox.expire_secrets() == 1
    assert (code_row().status, code_row().body) == ("failed", REDACTED)
    assert tables_holding(asked) == []
    assert outbox.expire_secrets() == 0  # idempotent


def test_rows_are_expired_one_sweeper_interval_early(app, asked):
    age_code_rows(timedelta(minutes=9))
    assert outbox.expire_secrets() == 0  # still time to send it
    age_code_rows(timedelta(seconds=app.config["PERIODIC_INTERVAL"]))
    assert outbox.expire_secrets() == 1  # would outlive 10 minutes before the next run
    assert tables_holding(asked) == []


def test_a_status_callback_for_a_send_cut_off_midway_forgets_the_code(asked):
    row = code_row()
    row.status = "sending"  # the worker died after Twilio took the message
    db.session.commit()
    assert outbox.record_status("SM" + "d" * 32, "delivered", notification_id=row.id)
    assert (code_row().status, code_row().body) == ("delivered", REDACTED)
    assert tables_holding(asked) == []


def test_a_code_message_cannot_be_resent(asked):
    with pytest.raises(InvalidTransition):
        outbox.resend(code_row().id, "owner@example.com")
