"""The Flask application factory."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, redirect, request, url_for
from flask_wtf.csrf import CSRFProtect

from config import Settings, load_settings
from config.logging import configure_logging
from connector import tasks
from connector.candidate.recording import MAX_CHUNK_BYTES
from connector.services import Services, install
from connector.wiring import build_services
from jobs.queue import InProcessQueue
from jobs.sweeper import SWEEP_INTERVAL_SECONDS
from webhooks.views import PREFIX as WEBHOOK_PREFIX, WebhookApp


csrf = CSRFProtect()
MAX_BODY_BYTES = 1024 * 1024
# Pages load only this site's scripts, styles and frames; images may come from https: (logos).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'")
# Added to a page's own policy when it does not set them (its other directives stay as they are).
POLICY_FLOOR = {"object-src": "'none'", "base-uri": "'self'", "form-action": "'self'",
                "frame-ancestors": "'none'"}
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts of the domain are not ours


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the web application from settings (by default, from the environment)."""
    if services is None:
        settings = settings or load_settings()
        configure_logging(settings.log_level)
        services = build_services(settings)
        if isinstance(services.queue, InProcessQueue):
            # No Redis, no worker: this process sweeps for its own stuck rows.
            services.queue.every(SWEEP_INTERVAL_SECONDS, tasks.SWEEP)
    install(services)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=services.keyring.derive("flask-session"),
        SECRET_KEY_FALLBACKS=services.keyring.derive_older("flask-session"),  # across key rotation
        MAX_CONTENT_LENGTH=MAX_CHUNK_BYTES,  # the largest body any route takes
        SESSION_COOKIE_SECURE=services.settings.production,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # an interview page may stay open for hours
    )
    app.extensions["connector"] = services
    _set_up_sign_in(app, services.settings)
    _register_blueprints(app)
    app.add_url_rule("/", "home", _home)
    app.before_request(_cap_body_size)  # before the CSRF check, which reads the body
    app.after_request(_security_headers)  # after the blueprints' own, which it completes
    csrf.init_app(app)
    _register_errors(app)
    __import__("connector.errors").errors.register(app)  # database too slow: 503
    app.wsgi_app = _WebhooksApart(app.wsgi_app, WebhookApp(services),
                                  _fixed_headers(services.settings.production))
    return app


class _WebhooksApart:
    """WSGI: requests under /webhooks/ go to the webhook app, every other to the main one.

    The webhook app's answers (JSON, or a handshake's echo) never set a policy of their own, so
    they get the security headers as one fixed list: setting them one by one on each response
    cost a delivery a thirtieth of its time.
    """

    def __init__(self, main, webhooks, headers: list[tuple[str, str]]):
        self.main, self.webhooks, self.headers = main, webhooks, headers

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(WEBHOOK_PREFIX):
            return self.main(environ, start_response)

        def with_headers(status, headers, exc_info=None):
            return start_response(status, headers + self.headers, exc_info)
        return self.webhooks(environ, with_headers)


def _set_up_sign_in(app: Flask, settings: Settings) -> None:
    """Flask-Login sessions; Flask-Limiter counting sign-in attempts where all processes see them."""
    from connector.auth import limiter, limits_storage_uri, login_manager

    app.config.update(
        RATELIMIT_STORAGE_URI=limits_storage_uri(settings.redis_url, settings.database_url),
        RATELIMIT_KEY_PREFIX="connector-limits",
        # Counted over the last minute and hour, not per clock minute: no double burst at :00.
        RATELIMIT_STRATEGY="moving-window",
        RATELIMIT_HEADERS_ENABLED=True,  # Retry-After on a 429
        # Redis (or the database) down: count in this process rather than refuse every sign-in.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
    )
    limiter.init_app(app)
    login_manager.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from connector import sandbox
    from connector.admin.routes import bp as admin
    from connector.api.routes import bp as api
    from connector.auth.routes import bp as auth
    from connector.candidate.api import bp as candidate_api
    from connector.candidate.rights import bp as candidate_rights
    from connector.candidate.views import bp as candidate
    from connector.health import bp as health
    from connector.metrics import bp as metrics
    from connector.review.routes import bp as review

    app.register_blueprint(candidate)
    app.register_blueprint(candidate_api)
    app.register_blueprint(candidate_rights)
    app.register_blueprint(auth)
    app.register_blueprint(review)
    app.register_blueprint(admin)
    app.register_blueprint(api)
    csrf.exempt(api)  # bearer tokens, no cookies: nothing for a cross-site form to ride on
    sandbox.register(app, csrf)
    app.register_blueprint(health)
    app.register_blueprint(metrics)


def _home():
    """The address `serve` prints: the sandbox board when it is on, else the sign-in page."""
    settings = current_app.extensions["connector"].settings
    if settings.sandbox and not settings.production:
        return redirect(url_for("sandbox.board_page"))
    return redirect(url_for("auth.login"))


def _cap_body_size() -> None:
    """Only recording chunks may be large; every other body is capped at 1 MiB."""
    if request.endpoint != "candidate_api.chunk":
        request.max_content_length = MAX_BODY_BYTES


def _security_headers(response):
    """Every response: a CSP, no framing, no MIME sniffing, no Referer; HSTS in production."""
    own_policy = response.headers.get("Content-Security-Policy")
    for name, value in _fixed_headers(current_app.extensions["connector"].settings.production):
        response.headers[name] = value
    if own_policy:  # a page's own, completed
        response.headers["Content-Security-Policy"] = _with_floor(own_policy)
    return response


def _fixed_headers(production: bool) -> list[tuple[str, str]]:
    """The security headers of a response that sets no policy of its own."""
    return [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),  # candidate and share links carry their secret
            *([("Strict-Transport-Security", HSTS)] if production else [])]


def _with_floor(policy: str) -> str:
    """A page's own policy with whichever of POLICY_FLOOR it lacks added."""
    present = {part.split()[0].lower() for part in policy.split(";") if part.strip()}
    missing = [f"{name} {value}" for name, value in POLICY_FLOOR.items() if name not in present]
    return "; ".join([policy.strip().rstrip(";"), *missing])


def _register_errors(app: Flask) -> None:
    """Every error the client caused gets a JSON body with a machine-readable reason."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        reason = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=reason, detail=exc.description), exc.code
