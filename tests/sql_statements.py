"""Counting the SQL statements a request makes (for tests that prove there is no N+1)."""
from contextlib import contextmanager

from sqlalchemy import event

from sweetshop.extensions import db


@contextmanager
def counting_statements(app):
    """Collect every statement sent on the app's engine while the block runs."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
