"""Backups and restores: `flask backup`, `flask restore FILE`, and the nightly run of the clock.

A backup is one file, `sweetshop-YYYYMMDDTHHMMSSZ.tar` (UTC in the name, so names sort by
time), holding:
- `database.dump`: pg_dump in custom format (pg_restore reads it; `tar xf` then
  `pg_restore -l database.dump` lists it by hand),
- `photos/`: the local photo store (UPLOAD_DIR) when photos are not on Cloudinary,
- `manifest.json`: when, the git commit, the migration revision, and every table's row
  count and a checksum of the orders, all read in the snapshot pg_dump dumped.

Consistent: `make_backup` opens a REPEATABLE READ transaction, exports its snapshot
(`pg_export_snapshot()`), counts in it and hands it to pg_dump (`--snapshot`), so the dump
and the manifest describe the same instant while the shop keeps taking orders.

Kept: the newest backup of each of the last BACKUP_KEEP_DAILY days and of each of the last
BACKUP_KEEP_MONTHLY months (`backups_to_keep`), in BACKUP_DIR and, with BACKUP_S3_URL, in
S3-compatible storage (boto3; BACKUP_S3_ENDPOINT_URL for B2, R2, MinIO...).

`restore_backup` restores into the app's DATABASE_URL: it refuses a database that already
has tables unless `force` (then the public schema is dropped first), runs pg_restore
(single transaction, no owners, no privileges), puts the photos back, and compares the
restored tables' row counts and orders checksum with the manifest.

The client tools come from Debian's postgresql-client of the server's major version
(pg_dump refuses a newer server): scripts/ensure_debian_package.sh in `make setup-ops`.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^sweetshop-(\d{8}T\d{6}Z)\.tar$")
# Every order's identity, money and state, in id order: equal after a restore or not.
ORDERS_CHECKSUM_SQL = (
    "SELECT coalesce(md5(string_agg(concat_ws('|', id, number, status, payment_status, "
    "payment_method, total_paise, public_token, phone, address, created_at), ',' ORDER BY id)), '') FROM \"order\"")


class BackupError(Exception):
    pass


@dataclass
class RestoreReport:
    counts: dict[str, int]
    expected: dict[str, int]
    orders_checksum: str
    expected_checksum: str
    photos: int

    @property
    def matches(self) -> bool:
        return self.counts == self.expected and self.orders_checksum == self.expected_checksum


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... (what pg_dump and pg_restore read)."""
    url = make_url(sqlalchemy_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _env_for(url: str) -> tuple[str, dict]:
    """The URL without its password, and an environment with PGPASSWORD: a password on a
    command line is visible to every user of the machine (ps)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return parsed.set(password=None).render_as_string(hide_password=False), env


def backup_dir() -> Path:
    path = Path(current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_dir() -> Path | None:
    if current_app.config.get("CLOUDINARY_URL"):
        return None  # photos live at Cloudinary, which keeps them
    return Path(current_app.config.get("UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")


def _tables(conn) -> list[str]:
    return list(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars())


def table_counts(conn) -> dict[str, int]:
    return {table: conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in _tables(conn)}


def orders_checksum(conn) -> str:
    return conn.execute(text(ORDERS_CHECKSUM_SQL)).scalar_one()


def _git_commit() -> str | None:
    from ..error_tracking import release
    return release()


def _run(argv: list[str], env: dict) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {result.stderr.strip()[-2000:]}")


def make_backup(now: datetime | None = None) -> Path:
    """Write one consistent backup into BACKUP_DIR (then S3, then prune). Returns its path."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    name = f"sweetshop-{now:%Y%m%dT%H%M%SZ}.tar"
    target = backup_dir() / name
    url, env = _env_for(libpq_url(current_app.config["SQLALCHEMY_DATABASE_URI"]))
    engine = create_engine(current_app.config["SQLALCHEMY_DATABASE_URI"],
                           isolation_level="REPEATABLE READ")
    with tempfile.TemporaryDirectory(prefix="sweetshop-backup-") as work:
        dump = Path(work) / "database.dump"
        try:
            with engine.connect() as conn:
                # The snapshot pg_dump dumps is the one we count in (held until it is done).
                conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                counts = table_counts(conn)
                checksum = orders_checksum(conn)
                revision = conn.execute(text(
                    "SELECT version_num FROM alembic_version")).scalar() if \
                    "alembic_version" in counts else None
                _run([shutil.which("pg_dump") or "pg_dump", "--format=custom", "--no-owner",
                      "--no-acl", f"--snapshot={snapshot}", f"--file={dump}", f"--dbname={url}"],
                     env)
                conn.rollback()
        finally:
            engine.dispose()
        manifest = {"created_at": now.isoformat(), "git_commit": _git_commit(),
                    "alembic_revision": revision, "counts": counts, "orders_checksum": checksum,
                    "format": 1}
        partial = target.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname="database.dump")
            photos = _upload_dir()
            if photos is not None and photos.is_dir():
                archive.add(photos, arcname="photos")
        partial.rename(target)  # never a half-written file under a backup's name
    log.info("Backup written: %s (%d orders)", target.name, counts.get("order", 0))
    if current_app.config.get("BACKUP_S3_URL"):
        upload_to_s3(target)
    prune_backups()
    from ..metrics import BACKUP_LAST_SUCCESS_KEY, record_sweeper_success
    record_sweeper_success(BACKUP_LAST_SUCCESS_KEY)
    return target


# --- keeping N daily and M monthly ------------------------------------------------------

def backup_time(name: str) -> datetime | None:
    match = NAME_RE.match(name)
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def backups_to_keep(names: list[str], daily: int, monthly: int) -> set[str]:
    """The newest backup of each of the `daily` most recent days that have one, and of
    each of the `monthly` most recent months (as restic's --keep-daily / --keep-monthly count:
    days and months that have a backup). Names that are not backups are kept."""
    dated = sorted(((backup_time(n), n) for n in names if backup_time(n)), reverse=True)
    keep = {n for n in names if backup_time(n) is None}
    days: dict[date, str] = {}
    months: dict[tuple[int, int], str] = {}
    for when, name in dated:  # newest first: the first seen of a day is its newest
        days.setdefault(when.date(), name)
        months.setdefault((when.year, when.month), name)
    keep.update(list(days.values())[:daily])
    keep.update(list(months.values())[:monthly])
    return keep


def prune_backups() -> list[str]:
    """Delete local (and S3) backups beyond what the settings keep. Returns the deleted."""
    daily = current_app.config["BACKUP_KEEP_DAILY"]
    monthly = current_app.config["BACKUP_KEEP_MONTHLY"]
    folder = backup_dir()
    names = [p.name for p in folder.iterdir() if NAME_RE.match(p.name)]
    keep = backups_to_keep(names, daily, monthly)
    deleted = []
    for name in sorted(set(names) - keep):
        (folder / name).unlink(missing_ok=True)
        deleted.append(name)
    if current_app.config.get("BACKUP_S3_URL"):
        deleted += prune_s3(daily, monthly)
    return deleted


# --- S3-compatible storage --------------------------------------------------------------

def _s3():
    import boto3

    url = current_app.config["BACKUP_S3_URL"]
    match = re.match(r"^s3://([^/]+)/?(.*)$", url)
    if not match:
        raise BackupError("BACKUP_S3_URL must look like s3://bucket/prefix")
    bucket, prefix = match.group(1), match.group(2).strip("/")
    client = boto3.client("s3", endpoint_url=current_app.config.get("BACKUP_S3_ENDPOINT_URL"))
    return client, bucket, (prefix + "/" if prefix else "")


def upload_to_s3(path: Path) -> str:
    client, bucket, prefix = _s3()
    key = prefix + path.name
    client.upload_file(str(path), bucket, key)
    log.info("Backup uploaded: s3://%s/%s", bucket, key)
    return key


def s3_backups() -> list[str]:
    client, bucket, prefix = _s3()
    names = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            names.append(item["Key"][len(prefix):])
    return names


def prune_s3(daily: int, monthly: int) -> list[str]:
    client, bucket, prefix = _s3()
    names = [n for n in s3_backups() if NAME_RE.match(n)]
    doomed = sorted(set(names) - backups_to_keep(names, daily, monthly))
    for name in doomed:
        client.delete_object(Bucket=bucket, Key=prefix + name)
    return [f"s3:{name}" for name in doomed]


def fetch_from_s3(name: str, folder: Path) -> Path:
    client, bucket, prefix = _s3()
    target = folder / name
    client.download_file(bucket, prefix + name, str(target))
    return target


# --- restoring --------------------------------------------------------------------------

def database_is_empty(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return not _tables(conn)
    finally:
        engine.dispose()


def restore_backup(path: Path, *, force: bool = False) -> RestoreReport:
    """Restore a backup file into the app's database (see the module's doc)."""
    sqlalchemy_url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not database_is_empty(sqlalchemy_url):
        if not force:
            raise BackupError("The database is not empty; restore into a new, empty database "
                              "or pass --force to replace everything in it.")
        engine = create_engine(sqlalchemy_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    url, env = _env_for(libpq_url(sqlalchemy_url))
    with tempfile.TemporaryDirectory(prefix="sweetshop-restore-") as work:
        with tarfile.open(path) as archive:
            archive.extractall(work, filter="data")
        manifest = json.loads((Path(work) / "manifest.json").read_text())
        _run([shutil.which("pg_restore") or "pg_restore", "--no-owner", "--no-acl",
              "--single-transaction", "--exit-on-error", f"--dbname={url}",
              str(Path(work) / "database.dump")], env)
        photos = 0
        source, target = Path(work) / "photos", _upload_dir()
        if source.is_dir() and target is not None:
            target.mkdir(parents=True, exist_ok=True)
            for item in source.rglob("*"):
                if item.is_file():
                    destination = target / item.relative_to(source)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(item, destination)
                    photos += 1
    engine = create_engine(sqlalchemy_url)
    try:
        with engine.connect() as conn:
            counts, checksum = table_counts(conn), orders_checksum(conn)
    finally:
        engine.dispose()
    report = RestoreReport(counts, manifest["counts"], checksum, manifest["orders_checksum"],
                           photos)
    log.info("Restored %s: %s", path.name, "counts and orders match the backup"
             if report.matches else "DIFFERENCES from the backup")
    return report


# --- the clock's nightly run ------------------------------------------------------------

def nightly_backup(now: datetime | None = None) -> int:
    """The periodic task: after BACKUP_AT (Asia/Kolkata), once a day, make the day's
    backup. 1 if it made one, else 0. Idempotent: a backup already in BACKUP_DIR from
    after today's BACKUP_AT means done (two clocks by mistake make at most one more)."""
    from zoneinfo import ZoneInfo

    at = current_app.config.get("BACKUP_AT")
    if not at:
        return 0
    shop_tz = ZoneInfo("Asia/Kolkata")
    now = (now or datetime.now(UTC)).astimezone(shop_tz)
    hours, minutes = (int(part) for part in at.split(":"))
    due = now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    if now < due:
        return 0
    for existing in backup_dir().iterdir():
        when = backup_time(existing.name)
        if when is not None and when >= due.astimezone(UTC):
            return 0
    make_backup(now.astimezone(UTC))
    return 1
