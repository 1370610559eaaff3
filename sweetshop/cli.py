"""Command-line tasks: flask --app wsgi seed-demo, ..."""
import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo catalogue (idempotent)."""
        from .demo import add_demo_pictures, seed_demo
        if seed_demo():
            click.echo("Demo catalogue loaded.")
        elif added := add_demo_pictures():  # a catalogue seeded before it had pictures
            click.echo(f"Demo catalogue already present; {added} pictures added.")
        else:
            click.echo("Demo catalogue already present; nothing changed.")

    @app.cli.command("seed-demo-owner")
    def seed_demo_owner_command():
        """Create the demo owner if the shop has no owner yet (password: ADMIN_PASSWORD or the
        demo one). Never changes an existing account; create-admin resets a password."""
        import os

        from .demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, seed_demo_owner
        from .services.errors import DomainError

        password = os.environ.get("ADMIN_PASSWORD") or DEMO_OWNER_PASSWORD
        try:
            created = seed_demo_owner(DEMO_OWNER_EMAIL, password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        if created:
            click.echo(f"Created the demo owner {DEMO_OWNER_EMAIL}; password: {password}")
        else:
            click.echo("An owner account exists; left unchanged "
                       "(flask --app wsgi create-admin EMAIL resets a password).")

    @app.cli.command("create-admin")
    @click.argument("email")
    def create_admin_command(email):
        """Create an owner account or reset its password (ADMIN_PASSWORD or a prompt)."""
        import os

        from .services.admin_auth import create_or_reset_admin
        from .services.errors import DomainError

        password = os.environ.get("ADMIN_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True)
        try:
            _, created = create_or_reset_admin(email, password)
        except DomainError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"{'Created' if created else 'Reset the password of'} owner {email.lower()}.")

    @app.cli.command("periodic")
    @click.option("--once", is_flag=True, help="run each sweep once and exit")
    def periodic_command(once):
        """Run the periodic sweeps (lost jobs, expiry, reconciliation)."""
        from .periodic import run_forever, run_once
        if once:
            click.echo(run_once())
        else:
            run_forever()

    @app.cli.command("backup")
    def backup_command():
        """Write a consistent backup (database + local photos) to BACKUP_DIR (and S3)."""
        from .services.backups import BackupError, make_backup
        try:
            path = make_backup()
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Backup written: {path}")

    @app.cli.command("restore")
    @click.argument("file")
    @click.option("--force", is_flag=True,
                  help="replace everything in a database that is not empty")
    def restore_command(file, force):
        """Restore a backup into DATABASE_URL (an empty database unless --force). FILE is a
        path, or the name of a backup in BACKUP_S3_URL."""
        import tempfile
        from pathlib import Path

        from .services.backups import BackupError, fetch_from_s3, restore_backup
        path = Path(file)
        try:
            with tempfile.TemporaryDirectory() as work:
                if not path.exists() and app.config.get("BACKUP_S3_URL"):
                    path = fetch_from_s3(path.name, Path(work))
                if not path.exists():
                    raise click.ClickException(f"No backup at {file}")
                report = restore_backup(path, force=force)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        for table in sorted(set(report.counts) | set(report.expected)):
            got, expected = report.counts.get(table), report.expected.get(table)
            mark = "" if got == expected else f"   (backup had {expected})"
            click.echo(f"  {table:<28} {got}{mark}")
        click.echo(f"  {report.photos} photos restored")
        if not report.matches:
            raise click.ClickException("The restored database differs from the backup's counts")
        click.echo("Restored: every table's row count and the orders' checksum match the backup.")
    @app.cli.command("vapid-keys")
    def vapid_keys_command():
        """Print a new Web Push (VAPID) key pair, as the two settings to set."""
        from .integrations.webpush import generate_vapid_keys

        public, private = generate_vapid_keys()
        click.echo(f"VAPID_PUBLIC_KEY={public}")
        click.echo(f"VAPID_PRIVATE_KEY={private}")
        click.echo("# Set both in the environment (and VAPID_SUBJECT=mailto:you@example.in). "
                   "Keep the private key secret; changing the pair stops every device's alerts "
                   "until it taps \"Alert this device\" again.")

    @app.cli.command("clean-photos")
    def clean_photos_command():
        """Re-encode photos stored on local disk before uploads were cleaned (drops EXIF/GPS)."""
        from .services.catalog_admin import clean_stored_photos
        cleaned, refused = clean_stored_photos()
        click.echo(f"{cleaned} photos re-encoded without metadata, {refused} left as they were.")
