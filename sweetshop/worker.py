"""The RQ worker class used by the Procfile and `make run`.

RQ forks a work-horse for every job. Building the app once in the worker, before the
fork, lets every job inherit it instead of importing and building it again (about 0.7 s
a job here); so do the ORM's mapper configuration and the Twilio SDK's imports
(`warm_up`). No connection is opened before the fork: the database pool and the Redis
client connect lazily, inside each work-horse.

It also rides out a Redis outage. RQ's own loop quits on a Redis timeout, and on a
connection error anywhere but the wait for a job (the work-horse monitor's heartbeat, the
suspension check, registry maintenance), so one Redis restart stopped every message. Here
those errors are logged and the worker waits for Redis, with backoff (1 s doubling to
30 s), then carries on; it registers itself again if Redis came back empty. A job cut off
by the outage is safe: jobs are idempotent and their state is in PostgreSQL, so the
sweeper hands them out again (sweetshop/services/notifications.py, `sweep`).

Logging: RQ gives its `rq.worker` logger a handler of its own, and the app's root logger
has one, so each RQ line was printed twice. sweetshop/logs.py takes RQ's handlers off, so
RQ's lines go through the app's one handler (JSON in production, personal data masked),
once. While a job runs (in the worker and its work-horse) every line carries the job's id
and the id of the request that enqueued it (`execute_job`).
"""
from __future__ import annotations

import logging
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker as RQWorker
from rq.exceptions import StopRequested

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

log = logging.getLogger("sweetshop.worker")


class Worker(RQWorker):
    redis_retry_first = 1.0   # seconds before trying Redis again, doubled each time...
    redis_retry_cap = 30.0    # ...up to this

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .jobs import _app

        warm_up(_app())
        print_rq_lines_once()

    # --- riding out Redis -------------------------------------------------------------

    def _wait_for_redis(self, doing: str, exc: Exception) -> None:
        log.warning("Worker %s: Redis failed while %s (%s: %s); waiting for it",
                    self.name, doing, exc.__class__.__name__, exc)
        delay = self.redis_retry_first
        while not self._stop_requested:
            time.sleep(delay)
            try:
                self.connection.ping()
            except REDIS_DOWN:
                delay = min(delay * 2, self.redis_retry_cap)
                continue
            log.info("Worker %s: Redis is back", self.name)
            self._register_again_if_forgotten()
            return
        raise StopRequested()

    def _register_again_if_forgotten(self) -> None:
        try:
            if not self.connection.exists(self.key):  # Redis restarted without its data
                self.register_birth()
                self.set_state("idle")
        except REDIS_DOWN:
            pass  # the next command finds out, and waits again
        except ValueError:  # RQ refuses a second birth of a live worker: it is registered
            pass

    def check_for_suspension(self, burst: bool):
        try:
            return super().check_for_suspension(burst)
        except REDIS_DOWN as exc:
            self._wait_for_redis("checking for suspension", exc)

    def run_maintenance_tasks(self):
        try:
            return super().run_maintenance_tasks()
        except REDIS_DOWN as exc:
            self._wait_for_redis("cleaning registries", exc)

    def dequeue_job_and_maintain_ttl(self, timeout, max_idle_time=None):
        while True:
            try:
                return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
            except REDIS_DOWN as exc:  # RQ retries connection errors here, not timeouts
                self._wait_for_redis("waiting for a job", exc)

    def execute_job(self, job, queue):
        from .logs import log_context

        # The work-horse is forked inside: it inherits this context, so its lines too.
        with log_context(job_id=job.id, request_id=(job.meta or {}).get("request_id")):
            return self._execute_job(job, queue)

    def _execute_job(self, job, queue):
        try:
            return super().execute_job(job, queue)
        except REDIS_DOWN as exc:
            if self._horse_pid:  # never leave a work-horse behind
                try:
                    self.wait_for_horse()
                except ChildProcessError:
                    pass
                self._horse_pid = 0
            self._wait_for_redis(f"running job {job.id}", exc)

    def maintain_heartbeats(self, job):
        # The monitor's heartbeat while a job runs: missing one must not abandon the job.
        try:
            return super().maintain_heartbeats(job)
        except REDIS_DOWN as exc:
            log.warning("Worker %s: heartbeat for job %s skipped (%s)", self.name, job.id, exc)

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:  # part of a pipeline: its execute() raises, and is handled
            return super().heartbeat(timeout, pipeline)
        try:
            return super().heartbeat(timeout)
        except REDIS_DOWN as exc:  # the next command that needs Redis waits for it
            log.debug("Worker %s: heartbeat skipped (%s)", self.name, exc)


def warm_up(app) -> None:
    """Do once, before the forks, what each work-horse would otherwise do for itself:
    configure the ORM's mappers and import the Twilio SDK's message resources (its client
    imports them lazily, on first use). No connection is opened: the SDK's HTTP session
    and the database pool are still empty when the work-horse inherits them."""
    from sqlalchemy.orm import configure_mappers

    from .integrations.twilio import get_messenger

    configure_mappers()
    with app.app_context():
        messenger = get_messenger()
        client = getattr(messenger, "client", None)
        if client is not None:
            client.messages  # noqa: B018  (the property imports the API modules)


def print_rq_lines_once() -> None:
    """Each log line once: RQ's loggers lose the handlers RQ's command line gave them (it
    runs before the app exists) and propagate to the app's one handler."""
    from .logs import RQ_LOGGERS as LOGGERS

    for name in LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
