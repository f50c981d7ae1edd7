"""The WSGI entry point for gunicorn: `gunicorn connector.wsgi:app`."""

from connector.app import create_app
from connector.heap import settle

app = create_app()
settle()  # the app and every module it imported live as long as the worker
