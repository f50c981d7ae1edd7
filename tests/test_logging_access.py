"""Access and error logs hold no personal link: `connector serve` runs gunicorn for real here,
and its log is read after requests for a candidate's link, a share link and a token parameter."""

from __future__ import annotations

import logging
import secrets
import sys
import time

import requests

from config.gunicorn import Logger, RedactLinks
from config.logging import RedactingFormatter, redact
from tests.conftest import free_port
from tests.serving import CONNECTOR, newcomer_env, serving


def visit_personal_links(base: str) -> list[str]:
    """Request a candidate's pages, a share link and a token parameter; the tokens used."""
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    candidate, share, query, other = tokens
    referer = {"Referer": f"{base}/interview/{candidate}"}
    requests.get(f"{base}/interview/{candidate}", timeout=10)
    requests.get(f"{base}/interview/{candidate}/api/state", headers=referer, timeout=10)
    requests.get(f"{base}/review/shared/{share}?page=1", timeout=10)
    requests.get(f"{base}/admin/installations/1?token={query}&x=1", timeout=10)
    requests.get(f"{base}/login?next=%2Finterview%2F{other}%2Froom", timeout=10)
    return tokens


def assert_masked(log: str, tokens: list[str]) -> None:
    assert "GET /interview/[redacted]/api/state HTTP/1.1" in log, log[-3000:]
    assert "/review/shared/[redacted]?page=1" in log and "?token=[redacted]&x=1" in log
    assert "next=%2Finterview%2F[redacted]%2Froom" in log
    for token in tokens:
        assert token not in log


def test_connector_serve_logs_no_link_token(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = newcomer_env(tmp_path, SANDBOX="off")
    log_path = tmp_path / "serve.log"
    with serving([*CONNECTOR, "serve", "--port", str(port), "--workers", "1"], env, log_path,
                 base):
        tokens = visit_personal_links(base)
        time.sleep(0.5)  # the access log is written after each response
    assert_masked(log_path.read_text(), tokens)


def test_the_error_log_masks_tokens_in_messages_and_tracebacks():
    record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                               "Error handling request %s", ("/interview/abc123def/room",), None)
    try:
        raise ValueError("bad /review/shared/s3cr3t-share")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactLinks().filter(record)
    assert record.getMessage() == "Error handling request /interview/[redacted]/room"
    assert "/review/shared/[redacted]" in record.exc_text and "s3cr3t" not in record.exc_text


def test_the_logger_class_filters_both_gunicorn_logs():
    from gunicorn.config import Config

    logger = Logger(Config())
    for log in (logger.error_log, logger.access_log):
        assert sum(isinstance(f, RedactLinks) for f in log.filters) == 1
    logger.setup(Config())  # a reload sets up again without a second filter
    assert sum(isinstance(f, RedactLinks) for f in logger.access_log.filters) == 1


def test_application_logs_mask_link_tokens_too():
    line = "candidate.opened path=/interview/Zx9_-abc/room referer=https://x/review/shared/q1"
    assert redact(line) == ("candidate.opened path=/interview/[redacted]/room "
                            "referer=https://x/review/shared/[redacted]")


def test_a_message_quoting_a_line_break_stays_one_line_and_a_traceback_stays_whole():
    formatter = RedactingFormatter("%(levelname)s %(name)s %(message)s")
    forged = "abc\r\nINFO connector.webhooks greenhouse.webhook.accepted delivery=1"
    record = logging.LogRecord("connector.webhooks", logging.WARNING, __file__, 1,
                               "greenhouse.webhook.rejected installation=%s", (forged,), None)
    assert formatter.format(record) == (
        "WARNING connector.webhooks greenhouse.webhook.rejected installation=abc\\r\\nINFO "
        "connector.webhooks greenhouse.webhook.accepted delivery=1")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        failed = logging.LogRecord("connector.webhooks", logging.ERROR, __file__, 1,
                                   "greenhouse.webhook.failed", (), sys.exc_info())
    first, *traceback = formatter.format(failed).splitlines()
    assert first == "ERROR connector.webhooks greenhouse.webhook.failed"
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "RuntimeError: a bug"
