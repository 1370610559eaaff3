"""The RQ worker class (sweetshop.worker.Worker) as the Procfile runs it, in a real process.

- Issue 10, item 23: each log line is printed once.
- Issue 10, item 30: Redis stopped in the middle of a job and started again: the worker
  waits for it instead of exiting, and runs the next job by itself.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from rq import Queue

from sweetshop.extensions import db
from sweetshop.services import notifications as outbox
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.fakes.redis_server import RedisServer
from tests.fakes.twilio_server import FakeTwilio
from tests.notifications.helpers import ACCOUNT_SID, AUTH_TOKEN, notifications, place_order

ROOT = Path(__file__).resolve().parents[1]
RQ = str(Path(sys.executable).parent / "rq")


def _worker_env(redis_url, **settings):
    return dict(os.environ, DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=redis_url,
                SWEETSHOP_ENV="testing", SECRET_KEY="x" * 32, **settings)


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_worker_prints_each_log_line_once(app):
    Queue("notifications", connection=Redis.from_url(TEST_REDIS_URL)).enqueue(
        outbox.JOB, 999999, job_id="notification-999999")  # no such row: nothing to send
    out = subprocess.run([RQ, "worker", "--burst", "--worker-class", "sweetshop.worker.Worker",
                          "--url", TEST_REDIS_URL, "notifications"],
                         env=_worker_env(TEST_REDIS_URL), cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    # The message of each line, without the context tags (the job's id is on its lines).
    lines = [re.sub(r" \[(request_id|job_id)=[^\]]*\]$", "", line)
             for line in (out.stdout + out.stderr).splitlines()]
    for words in ("started with PID", "Listening on", "notification-999999", "Job OK",
                  "done, quitting"):
        assert sum(words in line for line in lines) == (2 if words == "notification-999999"
                                                         else 1), (words, lines)


def test_the_worker_rides_out_redis_stopped_mid_job_and_runs_the_next_job(app, ctx):
    with RedisServer() as redis_server, FakeTwilio(hold_seconds=2) as fake:
        settings = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "TWILIO_SMS_FROM": "+15005550006", "TWILIO_API_BASE": fake.url,
                    "PUBLIC_BASE_URL": "https://shop.example.in"}
        place_order(owner_phones="+919811112222")
        first, second = (n.id for n in notifications())
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / "sweetshop-worker-outage.log"
        with open(log_path, "w") as log:
            worker = subprocess.Popen(
                [RQ, "worker", "--worker-class", "sweetshop.worker.Worker",
                 "--url", redis_server.url, "notifications"],
                env=_worker_env(redis_server.url, **settings), cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            queue = Queue("notifications", connection=Redis.from_url(redis_server.url))
            queue.enqueue(outbox.JOB, first, job_id=outbox.job_id(first))
            assert _wait_for(lambda: len(fake.messages) == 1), log_path.read_text()
            redis_server.stop()  # while the job waits for Twilio's answer
            time.sleep(3)  # the job ends, the worker finds Redis gone
            assert worker.poll() is None, log_path.read_text()

            redis_server.start()  # back, and empty
            fake.hold_seconds = 0
            queue = Queue("notifications", connection=Redis.from_url(redis_server.url))
            queue.enqueue(outbox.JOB, second, job_id=outbox.job_id(second))

            def both_sent():
                db.session.expire_all()
                statuses = [n.status for n in notifications()]
                db.session.rollback()
                return statuses == ["sent", "sent"]

            assert _wait_for(both_sent, timeout=40), log_path.read_text()
            assert worker.poll() is None
            assert len(fake.messages) == 2
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(10)
                except subprocess.TimeoutExpired:
                    worker.kill()
