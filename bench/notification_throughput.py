"""Messages per second per RQ worker (issue 10, item 29): N outbox rows queued, one real
`rq worker --burst` with the Procfile's worker class, the time to drain them.

    .venv/bin/python bench/notification_throughput.py --count 300 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<db> \
        --redis-url redis://127.0.0.1:6379/<n> [--backend console|fake-twilio] [--migrate]

The database must be one you can write to (the bench adds rows of kind 'bench' and
deletes them afterwards); the Redis db's notifications queue must be empty. The rate is
taken between the first and the last message sent (so the worker's start-up is left out)
and printed with the whole wall time. `fake-twilio` sends through the real Twilio SDK to
the local fake of tests/fakes/twilio_server.py (HTTP on loopback) instead of the log.
A backlog starts when orders come faster than (rate / messages per order) per worker:
each order sends one message to the customer and one to each owner phone.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RQ = str(Path(sys.executable).parent / "rq")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--backend", choices=["console", "fake-twilio"], default="console")
    parser.add_argument("--migrate", action="store_true", help="flask db upgrade first")
    args = parser.parse_args()
    if not args.database_url or not args.redis_url:
        parser.error("--database-url and --redis-url (or DATABASE_URL / REDIS_URL) are needed")

    settings = {"SWEETSHOP_ENV": "testing", "SECRET_KEY": "bench-" + "x" * 32,
                "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url}
    fake = None
    if args.backend == "fake-twilio":
        from tests.fakes.twilio_server import FakeTwilio
        fake = FakeTwilio().__enter__()
        settings.update(TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="bench",
                        TWILIO_SMS_FROM="+15005550006", TWILIO_API_BASE=fake.url,
                        PUBLIC_BASE_URL="https://shop.example.in")
    os.environ.update(settings)

    from sqlalchemy import delete, func, select

    from sweetshop import create_app
    from sweetshop.extensions import db
    from sweetshop.models import Notification, utcnow
    from sweetshop.queueing import get_queue
    from sweetshop.services import notifications  # noqa: F401  (its after-commit hook)

    app = create_app()
    with app.app_context():
        if args.migrate:
            from flask_migrate import upgrade
            upgrade()
        if get_queue("notifications").count:
            print("the notifications queue is not empty; use an idle Redis db", file=sys.stderr)
            return 1
        db.session.execute(delete(Notification).where(Notification.kind == "bench"))
        rows = [Notification(kind="bench", channel="sms", to=f"+9198{n:08d}",
                             body=f"Bench message {n}: your order is placed.", variables={},
                             status="queued", next_attempt_at=utcnow())
                for n in range(args.count)]
        db.session.add_all(rows)
        db.session.flush()
        db.session.info.setdefault("outbox", []).extend(r.id for r in rows)
        db.session.commit()  # the after-commit hook enqueues one job per row

        env = dict(os.environ)
        started = time.monotonic()
        subprocess.run([RQ, "worker", "--burst", "--quiet", "--worker-class",
                        "sweetshop.worker.Worker", "--url", args.redis_url, "notifications"],
                       env=env, cwd=ROOT, check=True)
        wall = time.monotonic() - started

        first, last, sent = db.session.execute(
            select(func.min(Notification.sent_at), func.max(Notification.sent_at),
                   func.count(Notification.sent_at)).where(Notification.kind == "bench")).one()
        db.session.execute(delete(Notification).where(Notification.kind == "bench"))
        db.session.commit()
    if fake is not None:
        fake.__exit__(None, None, None)

    span = (last - first).total_seconds() if sent > 1 else float("nan")
    result = {"messages": args.count, "sent": sent, "backend": args.backend,
              "wall_seconds": round(wall, 2), "drain_seconds": round(span, 2),
              "messages_per_second_per_worker": round((sent - 1) / span, 1) if span else None}
    print(json.dumps(result))
    return 0 if sent == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
