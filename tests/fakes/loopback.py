"""The part every fake Greenhouse on loopback shares: a real HTTP server and the token grant.

Token: POST /token with HTTP Basic client credentials and a form body of
grant_type=client_credentials and sub=<user id>, as in tests/fakes/greenhouse.py.
"""

from __future__ import annotations

import json
import threading

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.greenhouse import CLIENT_ID, CLIENT_SECRET, USER_ID


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """No line per request: a run makes thousands."""


class LoopbackGreenhouse:
    """Start with `start()`, stop with `stop()`; subclasses answer in `handle(request)`."""

    def __init__(self):
        self.tokens_issued = 0
        self._lock = threading.Lock()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def credentials(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "user_id": USER_ID,
                "token_url": f"{self.url}/token"}

    def start(self):
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True,
                                   request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @Request.application
    def _app(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        return self.handle(request)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return json_response({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "client_credentials" or \
                request.form.get("sub") != USER_ID:
            return json_response({"error": "invalid_request"}, 400)
        with self._lock:
            self.tokens_issued += 1
            token = f"token-{self.tokens_issued}"
        return json_response({"access_token": token, "token_type": "Bearer",
                              "expires_in": 3600})


def json_response(value, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(value), status, headers or {}, content_type="application/json")
