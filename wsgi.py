"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from netzwerk import create_app

app = create_app()
