"""Issue 10, item 30: `make run` (scripts/run_dev.py) starts a child that exits again, with
backoff while it keeps failing, instead of stopping the whole stack."""
import importlib.util
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_dev():
    spec = importlib.util.spec_from_file_location("run_dev", ROOT / "scripts" / "run_dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_child_that_exits_is_started_again_with_backoff_and_others_keep_running(run_dev):
    failing = run_dev.Supervised("worker", [sys.executable, "-c", "raise SystemExit(3)"], {})
    steady = run_dev.Supervised("web", [sys.executable, "-c", "import time; time.sleep(30)"], {})
    try:
        first = failing.start()
        steady.start()
        first.wait(10)
        now = time.monotonic()
        failing.check(now)
        assert failing.restart_at == pytest.approx(now + 1.0)  # not at once...
        failing.check(now + 0.5)
        assert failing.proc is first
        failing.check(now + 1.0)  # ...but after a second
        assert failing.proc is not first and failing.restarts == 1
        failing.proc.wait(10)
        failing.check(now + 1.5)
        assert failing.restart_at == pytest.approx(now + 3.5)  # then two: it keeps failing
        steady.check()
        assert steady.proc.poll() is None and steady.restarts == 0
    finally:
        for child in (failing, steady):
            if child.proc and child.proc.poll() is None:
                child.proc.kill()
                child.proc.wait()
