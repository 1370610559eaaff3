"""Entry point for gunicorn (wsgi:app) and the flask CLI (flask --app wsgi ...)."""
from sweetshop import create_app

app = create_app()
