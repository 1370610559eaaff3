"""Slow clients must not stall the shop (issue 10, item 6): the Procfile's web process,
started as the Procfile starts it, keeps answering /ping while connections trickle their
headers or bodies. The full measurement (50 connections, p99 budget) is bench/slowloris.py.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, free_port
from tests.fault_servers import ProcfileWeb

# bench/slowloris.py by path: putting bench/ on sys.path would let its modules shadow others.
_spec = importlib.util.spec_from_file_location(
    "bench_slowloris", Path(__file__).resolve().parent.parent / "bench" / "slowloris.py")
slowloris = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(slowloris)

WEB_PORT = free_port()


@pytest.fixture
def procfile_web(tmp_path):
    env = dict(os.environ, DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL,
               SWEETSHOP_ENV="production", SECRET_KEY=secrets.token_urlsafe(32),
               WEB_CONCURRENCY="2")  # as few workers as slow connections could once take
    web = ProcfileWeb(WEB_PORT, env, tmp_path / "gunicorn.log")
    yield web
    web.close()


def test_pings_are_answered_while_slow_clients_hold_more_connections_than_workers(procfile_web):
    result = slowloris.measure(procfile_web.base_url, connections=6, interval=1, pings=15,
                               ping_every=0.1, ping_timeout=3)

    assert result["answered"] == result["pings"] == 15, result
    # Not a budget (bench/slowloris.py checks the 100 ms p99): a stalled worker takes seconds.
    assert result["max_ms"] < 1000, result
