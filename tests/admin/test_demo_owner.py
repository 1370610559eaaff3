"""`make run` creates the demo owner on a fresh database only: a changed password survives."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from sweetshop.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD
from sweetshop.services.admin_auth import create_or_reset_admin
from tests.admin.helpers import sign_in
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_owner_creates_the_owner_once_and_never_resets_its_password(app, in_db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo-owner"], env={"ADMIN_PASSWORD": ""})
    assert first.exit_code == 0, first.output
    assert f"Created the demo owner {DEMO_OWNER_EMAIL}" in first.output
    assert sign_in(app.test_client(), DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD).status_code == 303

    in_db(lambda: create_or_reset_admin(DEMO_OWNER_EMAIL, "the owner's own password"))
    again = runner.invoke(args=["seed-demo-owner"], env={"ADMIN_PASSWORD": ""})
    assert again.exit_code == 0, again.output
    assert "left unchanged" in again.output
    assert sign_in(app.test_client(), DEMO_OWNER_EMAIL,
                   "the owner's own password").status_code == 303
    assert sign_in(app.test_client(), DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD).status_code == 401


def test_no_demo_owner_beside_an_owner_of_ones_own(app, in_db):
    in_db(lambda: create_or_reset_admin("boss@mithaas.example", "the boss's own password"))
    result = app.test_cli_runner().invoke(args=["seed-demo-owner"], env={"ADMIN_PASSWORD": ""})
    assert "left unchanged" in result.output
    assert sign_in(app.test_client(), DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD).status_code == 401


def _run_dev():
    spec = importlib.util.spec_from_file_location("run_dev", ROOT / "scripts" / "run_dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_restart_keeps_the_password_the_owner_chose(app, in_db):
    """scripts/run_dev.py's seeding step, run for real (a flask subprocess) twice."""
    run_dev = _run_dev()
    env = {key: value for key, value in os.environ.items() if key != "ADMIN_PASSWORD"}
    env.update(DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL,
               SWEETSHOP_ENV="development")
    assert run_dev.seed_demo_owner(env) == (DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)

    in_db(lambda: create_or_reset_admin(DEMO_OWNER_EMAIL, "the owner's own password"))
    assert run_dev.seed_demo_owner(env) is None  # the restart
    assert sign_in(app.test_client(), DEMO_OWNER_EMAIL,
                   "the owner's own password").status_code == 303
