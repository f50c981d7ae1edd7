"""The Flask application factory."""

from __future__ import annotations

from flask import Flask, jsonify

from config import Settings, load_settings
from config.logging import configure_logging
from connector.services import Services, build_services, install
from jobs.queue import InProcessQueue
from jobs.sweeper import SWEEP_INTERVAL_SECONDS


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the web application from settings (by default, from the environment)."""
    if services is None:
        settings = settings or load_settings()
        configure_logging(settings.log_level)
        services = build_services(settings)
        if isinstance(services.queue, InProcessQueue):
            # No Redis, no worker: this process sweeps for its own stuck rows.
            services.queue.every(SWEEP_INTERVAL_SECONDS, "jobs.sweeper.sweep")
    install(services)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=services.keyring.derive("flask-session"),
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.extensions["connector"] = services
    _register_blueprints(app)
    _register_errors(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from connector.candidate.views import bp as candidate
    from webhooks.views import bp as webhooks

    app.register_blueprint(webhooks)
    app.register_blueprint(candidate)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")


def _register_errors(app: Flask) -> None:
    """Every error the client caused gets a JSON body with a machine-readable reason."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        reason = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=reason, detail=exc.description), exc.code
