"""Handing work to RQ. Enqueueing never breaks the caller: if Redis is down, the intent is
already in PostgreSQL and the periodic sweeper enqueues it later.

Redis is reached through the circuit breaker (sweetshop/redis_breaker.py): while it is
open, enqueueing fails at once instead of waiting for a paused Redis.

A job may carry a deterministic id (`job_id`, one per outbox row), so the sweeper can ask
RQ whether the row's job is still waiting or running before it enqueues another one
(`waiting_job_ids`).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import current_app

from .extensions import redis_conn

log = logging.getLogger(__name__)


def get_queue(name: str = "default"):
    from rq import Queue

    return Queue(name, connection=redis_conn.client(),
                 is_async=current_app.config.get("RQ_ASYNC", True))


def enqueue(func: str, *args, queue: str = "default", job_id: str | None = None,
            **options) -> bool:
    """Enqueue `func` (a dotted path) with args; False (logged) when Redis cannot be reached.

    With `job_id`, an earlier job of that id (finished, failed, or lost from the queue) is
    replaced: its key is deleted first, so an expiry RQ set on a finished job cannot remove
    the new one while it waits."""
    try:
        q = get_queue(queue)
        from .logs import current_request_id
        request_id = current_request_id()
        if request_id:  # the job's log lines carry the request that caused it
            options["meta"] = {**options.get("meta", {}), "request_id": request_id}
        if job_id is not None:
            from rq.job import Job
            q.connection.delete(Job.key_for(job_id))
            options["job_id"] = job_id
        q.enqueue(func, *args, **options)
        return True
    except Exception as exc:  # RedisError, ConnectionError, timeouts: the sweeper retries
        log.warning("Could not enqueue %s%r (%s); the sweeper will pick it up", func, args, exc)
        return False


def waiting_job_ids(job_ids: list[str], queue: str, *, started_within: timedelta) -> set[str]:
    """Which of these jobs RQ still has in hand: queued (and really in the queue's list) or
    started less than `started_within` ago (a job started longer ago belongs to a worker
    that was killed). One round trip for all of them. Raises RedisError when Redis cannot
    be asked, so the caller enqueues nothing rather than everything."""
    from rq.job import Job

    if not job_ids:
        return set()
    q = get_queue(queue)
    pipe = q.connection.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hmget(Job.key_for(job_id), "status", "started_at")
        pipe.lpos(q.key, job_id)
    replies = pipe.execute(raise_on_error=False)  # connection errors still raise
    now = datetime.now(UTC)
    waiting = set()
    for job_id, (status, started_at), position in zip(job_ids, replies[::2], replies[1::2],
                                                       strict=True):
        status = (status or b"").decode()
        in_list = position is not None or isinstance(position, Exception)  # Redis < 6.0.6
        if status == "queued" and in_list:
            waiting.add(job_id)
        elif status in ("scheduled", "deferred"):
            waiting.add(job_id)
        elif status == "started" and started_at:
            from rq.utils import utcparse
            started = utcparse(started_at.decode()).replace(tzinfo=UTC)
            if now - started < started_within:
                waiting.add(job_id)
    return waiting
