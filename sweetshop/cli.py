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

    @app.cli.command("clean-photos")
    def clean_photos_command():
        """Re-encode photos stored on local disk before uploads were cleaned (drops EXIF/GPS)."""
        from .services.catalog_admin import clean_stored_photos
        cleaned, refused = clean_stored_photos()
        click.echo(f"{cleaned} photos re-encoded without metadata, {refused} left as they were.")
