"""gunicorn's logger with personal link tokens masked: `--logger-class config.gunicorn.Logger`.

The access log holds each request's path, query string and Referer, and a candidate's link is
a path (/interview/<token>/...); so is a share link (/review/shared/<token>). Every line of the
access and error logs goes through config.logging.redact_links before any handler sees it.
"""

from __future__ import annotations

import logging

from gunicorn import glogging

from config.logging import redact_links

LOGGER_CLASS = "config.gunicorn.Logger"
# gunicorn 25.1 and later open a control socket by default, at one path per user
# ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): a way to add workers or stop the
# server that nothing here uses, and that a second gunicorn of the same user takes over.
CONTROL_SOCKET_OFF = "--no-control-socket"


class RedactLinks(logging.Filter):
    """Formats the record's message and masks the link tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_links(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_links(logging.Formatter().formatException(record.exc_info))
        return True


class Logger(glogging.Logger):
    """gunicorn's own logger, whose access and error lines carry no link token."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactLinks) for f in log.filters):
                log.addFilter(RedactLinks())
