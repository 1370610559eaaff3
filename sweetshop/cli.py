"""Command-line tasks: flask --app wsgi seed-demo, ..."""
import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo catalogue (idempotent)."""
        from .demo import seed_demo
        if seed_demo():
            click.echo("Demo catalogue loaded.")
        else:
            click.echo("Demo catalogue already present; nothing changed.")
