"""Issue 10, item 29: the sweeper re-enqueues only rows whose RQ job is really gone, so a
backlog is not piled up with copies of jobs still waiting in the queue."""
from datetime import timedelta

from rq.job import Job
from rq.utils import utcformat

from sweetshop.extensions import db, redis_conn
from sweetshop.models import utcnow
from sweetshop.services import notifications as outbox
from tests.notifications.helpers import (
    notifications,
    place_order,
    queued_job_count,
    run_worker_burst,
)

LATER = timedelta(minutes=1)


def test_rows_whose_job_is_still_waiting_are_not_enqueued_again(ctx):
    place_order(owner_phones="+919811112222, +919833334444")
    assert queued_job_count() == 3
    for _ in range(5):  # five sweeps over a backlog that no worker has reached yet
        assert outbox.sweep(now=utcnow() + LATER) == 0
    assert queued_job_count() == 3


def test_rows_whose_job_was_lost_are_enqueued_once(ctx):
    place_order(owner_phones="+919811112222")
    redis_conn.client().flushdb()  # Redis restarted without its data
    assert outbox.sweep(now=utcnow() + LATER) == 2
    assert outbox.sweep(now=utcnow() + LATER) == 0  # now they wait in the queue
    assert queued_job_count() == 2
    run_worker_burst()
    db.session.expire_all()
    assert [n.status for n in notifications()] == ["sent", "sent"]


def test_a_row_whose_job_finished_without_sending_is_enqueued_again(ctx):
    place_order()
    row = notifications()[0]
    row.next_attempt_at = utcnow() + timedelta(minutes=5)  # e.g. a retry backing off
    db.session.commit()
    run_worker_burst()  # the job runs, finds it is not time yet, finishes
    assert queued_job_count() == 0
    assert outbox.sweep(now=utcnow() + timedelta(minutes=10)) == 1
    assert queued_job_count() == 1
    job = Job.fetch(outbox.job_id(row.id), connection=redis_conn.client())
    assert redis_conn.client().ttl(job.key) == -1  # the finished job's expiry is gone


def test_a_job_started_by_a_worker_that_was_killed_is_replaced_after_the_claim_timeout(
        app, ctx):
    place_order()
    row = notifications()[0]
    row.status, row.claimed_at = "sending", utcnow() - timedelta(minutes=10)
    db.session.commit()
    conn = redis_conn.client()
    key = Job.key_for(outbox.job_id(row.id))
    conn.lrem("rq:queue:notifications", 0, outbox.job_id(row.id))  # a worker took it...
    conn.hset(key, mapping={"status": "started", "started_at": utcformat(utcnow())})
    assert outbox.sweep() == 0  # ...and may still be on it
    claim_timeout = app.config["NOTIFY_CLAIM_TIMEOUT"]
    started = utcnow() - timedelta(seconds=claim_timeout + 1)
    conn.hset(key, mapping={"started_at": utcformat(started)})
    assert outbox.sweep() == 1  # ...it was killed
    assert queued_job_count() == 1
