"""Issue 18, backups: a shop with orders is backed up (pg_dump, custom format, with its
photos), restored into a fresh database, and every table's row count and a checksum of the
orders are the same; a database that is not empty is refused unless --force."""
from __future__ import annotations

import json
import tarfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sweetshop import create_app
from sweetshop.extensions import db
from sweetshop.services.backups import (
    backups_to_keep,
    nightly_backup,
    orders_checksum,
    table_counts,
)
from tests.conftest import TEST_CONFIG, TEST_DATABASE_URL
from tests.factories import make_order, make_product

RESTORE_DB = make_url(TEST_DATABASE_URL).database + "_restore"


def _admin_engine():
    return create_engine(make_url(TEST_DATABASE_URL).set(database="postgres"),
                         isolation_level="AUTOCOMMIT")


@pytest.fixture
def fresh_database():
    """A new, empty database beside the test one (dropped afterwards)."""
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{RESTORE_DB}"'))
    yield make_url(TEST_DATABASE_URL).set(database=RESTORE_DB).render_as_string(
        hide_password=False)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)'))
    engine.dispose()


def _snapshot(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return table_counts(conn), orders_checksum(conn)
    finally:
        engine.dispose()


@pytest.fixture
def shop_with_orders(app, in_db):
    def build():
        kaju = make_product("Kaju Katli", stock=20000)
        laddoo = make_product("Motichoor Laddoo", stock=20000)
        for i in range(5):
            make_order((kaju, "500 g", 1 + i), (laddoo, "1 kg", 1), phone=f"+91987654321{i}")
    in_db(build)


def test_a_backup_restores_into_a_fresh_database_with_identical_counts(
        shop_with_orders, fresh_database, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "kaju.webp").write_bytes(b"RIFF-photo-bytes")
    settings = {**TEST_CONFIG, "BACKUP_DIR": str(tmp_path / "backups"), "UPLOAD_DIR": str(uploads)}
    source = create_app(settings)

    result = source.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    (backup,) = (tmp_path / "backups").iterdir()
    assert backup.name.startswith("sweetshop-") and backup.suffix == ".tar"
    with tarfile.open(backup) as archive:
        names = archive.getnames()
        manifest = json.load(archive.extractfile("manifest.json"))
        dump = archive.extractfile("database.dump").read(5)
    assert dump == b"PGDMP"  # pg_dump's custom format
    assert "photos/ab/kaju.webp" in names
    assert manifest["counts"]["order"] == 5 and manifest["alembic_revision"]

    restored_uploads = tmp_path / "restored-uploads"
    target = create_app({**settings, "SQLALCHEMY_DATABASE_URI": fresh_database,
                         "UPLOAD_DIR": str(restored_uploads)})
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert "match the backup" in result.output

    counts, checksum = _snapshot(fresh_database)
    source_counts, source_checksum = _snapshot(TEST_DATABASE_URL)
    assert counts == source_counts and counts["order"] == 5 and counts["order_item"] == 10
    assert checksum == source_checksum
    assert (restored_uploads / "ab" / "kaju.webp").read_bytes() == b"RIFF-photo-bytes"

    # Again into the now full database: refused, unless --force.
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code != 0 and "not empty" in result.output
    result = target.test_cli_runner().invoke(args=["restore", "--force", str(backup)])
    assert result.exit_code == 0, result.output
    assert _snapshot(fresh_database) == (source_counts, source_checksum)


def test_a_backup_is_consistent_while_orders_keep_coming(shop_with_orders, app, tmp_path,
                                                          monkeypatch, in_db):
    """An order placed while pg_dump runs is in neither the dump nor the manifest."""
    import sweetshop.services.backups as backups

    real_run = backups._run

    def run_then_order(argv, env):
        def another():
            make_order((make_product("Peda", stock=1000), "250 g", 1))
        in_db(another)  # committed by another connection, mid-backup
        return real_run(argv, env)

    monkeypatch.setattr(backups, "_run", run_then_order)
    source = create_app({**TEST_CONFIG, "BACKUP_DIR": str(tmp_path)})
    with source.app_context():
        path = backups.make_backup()
    with tarfile.open(path) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert manifest["counts"]["order"] == 5
    assert in_db(lambda: db.session.execute(text('SELECT count(*) FROM "order"')).scalar()) == 6


def _name(when: datetime) -> str:
    return f"sweetshop-{when:%Y%m%dT%H%M%SZ}.tar"


def test_backups_keep_the_newest_of_n_days_and_m_months():
    start = datetime(2026, 1, 1, 22, 0, tzinfo=UTC)
    names = [_name(start + timedelta(days=d, hours=h)) for d in range(90) for h in (0, 1)]
    keep = backups_to_keep(names + ["notes.txt"], daily=7, monthly=3)
    newest = start + timedelta(days=89, hours=1)
    days = {_name(newest - timedelta(days=d)) for d in range(7)}
    assert days <= keep and "notes.txt" in keep
    months = {n for n in keep if n not in days and n != "notes.txt"}
    # The newest of March is already among the days; January's and February's newest remain.
    assert months == {_name(datetime(2026, 1, 31, 23, 0, tzinfo=UTC)),
                      _name(datetime(2026, 2, 28, 23, 0, tzinfo=UTC))}


def test_the_clock_makes_one_backup_a_night_after_backup_at(tmp_path, monkeypatch):
    import sweetshop.services.backups as backups

    made = []
    monkeypatch.setattr(backups, "make_backup",
                        lambda now: made.append(now) or (tmp_path / _name(now)).touch())
    app = create_app({**TEST_CONFIG, "BACKUP_DIR": str(tmp_path), "BACKUP_AT": "02:30"})
    before = datetime(2026, 5, 1, 20, 59, tzinfo=UTC)  # 02:29 in Kolkata
    after = datetime(2026, 5, 1, 21, 5, tzinfo=UTC)     # 02:35
    with app.app_context():
        assert nightly_backup(before) == 0
        assert nightly_backup(after) == 1
        assert nightly_backup(after + timedelta(hours=3)) == 0  # done for tonight
        assert nightly_backup(after + timedelta(days=1)) == 1
    assert len(made) == 2


def test_backups_go_to_s3_compatible_storage_and_are_pruned_there_too(
        shop_with_orders, tmp_path, monkeypatch):
    """boto3 talks to moto's in-process S3 (faked at the HTTP boundary); a restore can
    take the name of a backup that is only in the bucket."""
    moto = pytest.importorskip("moto")
    import boto3

    import sweetshop.services.backups as backups

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="ap-south-1")
        s3.create_bucket(Bucket="shop-backups",
                         CreateBucketConfiguration={"LocationConstraint": "ap-south-1"})
        old = _name(datetime(2025, 1, 1, tzinfo=UTC))  # beyond 1 day and 1 month: pruned
        s3.put_object(Bucket="shop-backups", Key=f"nightly/{old}", Body=b"old")
        app = create_app({**TEST_CONFIG, "BACKUP_DIR": str(tmp_path / "local"),
                          "BACKUP_S3_URL": "s3://shop-backups/nightly", "BACKUP_KEEP_DAILY": 1,
                          "BACKUP_KEEP_MONTHLY": 1})
        with app.app_context():
            path = backups.make_backup()
            assert backups.s3_backups() == [path.name]
            fetched = backups.fetch_from_s3(path.name, tmp_path)
        assert fetched.read_bytes() == path.read_bytes()
