"""Real concurrency for race tests: calls released together, each on its own connection."""
from __future__ import annotations

import threading

from sqlalchemy import text

from sweetshop.extensions import db


def race(app, calls) -> list[object]:
    """Run each zero-argument function in its own thread, app context and connection, all
    released together (a barrier after each has its connection). Returns each result, or
    the exception it raised, in the order of `calls`."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results: list[object] = [None] * len(calls)

    def run(i, fn):
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))  # hold a connection before the start
                db.session.rollback()
                barrier.wait()
                results[i] = fn()
            except Exception as exc:  # asserted on by the test
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a call never finished"
    return results
