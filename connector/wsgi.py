"""The WSGI entry point for gunicorn: `gunicorn connector.wsgi:app`."""

from connector.app import create_app

app = create_app()
