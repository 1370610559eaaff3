"""Issue 18, deploy: the systemd units verify (systemd-analyze), the Caddyfile validates
(caddy), the env example names only real settings, the Procfile's four processes are
still there, and the sample alert rules are well formed."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _tool(name):
    path = shutil.which(name)
    if path is None:  # make ops-tools installs them; CI runs it
        pytest.fail(f"{name} is missing: run `make ops-tools`")
    return path


def test_the_systemd_units_verify(tmp_path):
    """The units as installed, with the checkout standing in for /srv/sweetshop/app (the
    verifier checks that every ExecStart program exists and is executable)."""
    env_file = tmp_path / "sweetshop.env"
    env_file.write_text((DEPLOY / "sweetshop.env.example").read_text())
    names = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text().replace("/srv/sweetshop/app", str(ROOT)).replace(
            "/etc/sweetshop/sweetshop.env", str(env_file))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
        names.append(name)
    assert {"sweetshop-web.service", "sweetshop-worker@1.service", "sweetshop-clock.service",
            "sweetshop-release.service", "sweetshop-backup.service"} <= set(names)
    result = subprocess.run([_tool("systemd-analyze"), "verify", "--man=no", *names],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and not result.stdout.strip() and \
        not result.stderr.strip(), result.stdout + result.stderr


def test_the_caddyfile_validates():
    result = subprocess.run([_tool("caddy"), "validate", "--config", str(DEPLOY / "Caddyfile"),
                             "--adapter", "caddyfile"], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp",
                                              "SHOP_DOMAIN": "shop.example.in"})
    assert result.returncode == 0 and "Valid configuration" in result.stdout + result.stderr, \
        result.stdout + result.stderr


def test_the_caddyfile_keeps_metrics_private_and_buffers_requests():
    text = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"^\s*respond /metrics 404", text, re.M)
    assert "buffer_requests" in text and "reverse_proxy 127.0.0.1:8000" in text


def test_the_env_example_names_only_real_settings():
    documented = set(re.findall(r"^\| ([A-Z][A-Z0-9_]+)", (ROOT / "sweetshop" / "config.py")
                                .read_text(), re.M))
    documented |= {"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "RAZORPAY_KEY_ID",
                   "RAZORPAY_KEY_SECRET", "WEB_CONCURRENCY", "AWS_ACCESS_KEY_ID",
                   "AWS_SECRET_ACCESS_KEY"}
    names = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (DEPLOY / "sweetshop.env.example")
                       .read_text(), re.M)
    assert names and set(names) <= documented, set(names) - documented
    env = dict(re.findall(r"^([A-Z][A-Z0-9_]+)=(.*)$",
                          (DEPLOY / "sweetshop.env.example").read_text(), re.M))
    assert env["SWEETSHOP_ENV"] == "production" and env["TRUSTED_PROXIES"] == "1"


def test_the_procfile_still_runs_web_worker_clock_and_release():
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                    if line.strip())
    assert set(procfile) == {"web", "worker", "clock", "release"}
    assert "--config gunicorn.conf.py" in procfile["web"]
    assert "sweetshop.worker.Worker" in procfile["worker"]


def test_the_alert_rules_are_well_formed():
    rules = yaml.safe_load((ROOT / "docs" / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    for name in ("SweetshopMessagesStuck", "SweetshopSweeperSilent", "SweetshopServerErrors",
                 "SweetshopPaymentFailures"):
        assert alerts[name]["expr"] and alerts[name]["annotations"]["summary"], name
    assert "> 600" in alerts["SweetshopMessagesStuck"]["expr"]
    assert "> 300" in alerts["SweetshopSweeperSilent"]["expr"]
    # Every metric a rule uses is one the app exports.
    exported = (ROOT / "sweetshop" / "metrics.py").read_text()
    for rule in alerts.values():
        for metric in re.findall(r"sweetshop_[a-z_]+", rule["expr"]):
            base = re.sub(r"_total$", "", metric)
            assert f'"{base}' in exported, metric
