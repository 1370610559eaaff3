"""Issue 18, scaling past one machine: two web instances (gunicorn, as the Procfile runs it,
on two ports) and two RQ workers against one PostgreSQL and one Redis. Shoppers order
the last boxes through both at once: no oversell, and every message is sent exactly once.

Real processes, real connections; the ports are picked free by the system.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sweetshop.extensions import db
from sweetshop.models import Notification, Order, Product
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL
from tests.factories import make_product
from tests.fakes.twilio_server import FakeTwilio
from tests.fault_servers import ProcfileWeb
from tests.notifications.helpers import ACCOUNT_SID, AUTH_TOKEN

ROOT = Path(__file__).resolve().parents[2]
RQ = str(Path(sys.executable).parent / "rq")
_spec = importlib.util.spec_from_file_location("bench_shopper", ROOT / "bench" / "shopper.py")
shopper_module = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_shopper", shopper_module)  # its dataclasses look it up
_spec.loader.exec_module(shopper_module)

BOXES = 4          # 4 × 500 g in stock
SHOPPERS = 8       # twice as many want one


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _checkout(base_url: str, product_path: str, variant_id: int, n: int) -> int:
    s = shopper_module.Shopper(base_url)
    try:
        shopper_module.add_to_cart(s, product_path, variant_id, 1)
        page = s.get("/checkout")
        if page.status != 200:
            return page.status
        form = shopper_module.hidden_inputs(page.text)
        form.update(name=f"Shopper {n}", phone=f"+9198765432{n:02d}",
                    address=f"{n} MG Road, Bengaluru", pincode="560038", note="",
                    payment_method="cod")
        placed = s.post("/checkout", form)
        return placed.status if placed.status != 303 else (
            303 if "/orders/" in (placed.header("Location") or "") else 0)
    finally:
        s.close()


def test_two_web_instances_and_two_workers_sell_each_box_once_and_send_each_message_once(
        app, in_db, tmp_path):
    with FakeTwilio() as fake:
        env = dict(os.environ, DATABASE_URL=TEST_DATABASE_URL, REDIS_URL=TEST_REDIS_URL,
                   SWEETSHOP_ENV="development", SECRET_KEY=secrets.token_urlsafe(32),
                   WEB_CONCURRENCY="1", TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                   TWILIO_AUTH_TOKEN=AUTH_TOKEN, TWILIO_SMS_FROM="+15005550006",
                   TWILIO_API_BASE=fake.url, PUBLIC_BASE_URL="https://shop.example.in",
                   )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)

        def build():
            product = make_product("Kaju Katli", stock=BOXES * 500)
            variant = next(v for v in product.variants if v.name == "500 g")
            return f"/p/{product.slug}", variant.id, product.id
        product_path, variant_id, product_id = in_db(build)

        webs, workers = [], []
        try:
            for i in range(2):
                webs.append(ProcfileWeb(_free_port(), env, tmp_path / f"web{i}.log"))
                workers.append(subprocess.Popen(
                    [RQ, "worker", "--worker-class", "sweetshop.worker.Worker", "--url",
                     TEST_REDIS_URL, "--name", f"two-instances-{i}-{secrets.token_hex(3)}",
                     "notifications", "default"],
                    env=env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                    stderr=open(tmp_path / f"worker{i}.log", "w")))

            # One order through each instance first, then the other shoppers race for the
            # last boxes through both at once.
            results: dict[int, int] = {n: _checkout(webs[n].base_url, product_path,
                                                    variant_id, n) for n in (0, 1)}
            threads = [threading.Thread(target=lambda n=n: results.__setitem__(
                n, _checkout(webs[n % 2].base_url, product_path, variant_id, n)))
                for n in range(2, SHOPPERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)

            placed = [n for n, status in results.items() if status == 303]
            assert len(placed) == BOXES, results
            assert {0, 1} <= set(placed), results  # both instances took orders

            def counts():
                return in_db(lambda: (
                    db.session.query(Order).count(),
                    db.session.get(Product, product_id).stock,
                    db.session.query(Notification).count(),
                    db.session.query(Notification).filter(
                        Notification.status.in_(("queued", "sending"))).count()))
            orders, stock, messages, waiting = counts()
            assert (orders, stock) == (BOXES, 0)
            assert _wait_for(lambda: counts()[3] == 0), (
                counts(), (tmp_path / "worker0.log").read_text()[-2000:])
            time.sleep(1)  # a duplicate send, if any, would arrive now
            sent = Counter((m["to"], m["body"]) for m in fake.messages)
            assert len(fake.messages) == messages >= BOXES
            assert all(count == 1 for count in sent.values()), sent
            # Each worker did some of the work or at least was alive throughout.
            assert all(worker.poll() is None for worker in workers)
        finally:
            for worker in workers:
                worker.terminate()
            for web in webs:
                web.close()
            for worker in workers:
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()

