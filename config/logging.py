"""Logging set-up: one line per record, stable dotted event names, no candidate data."""

from __future__ import annotations

import logging
import logging.config
import re

# What may reach a log through an exception's text despite the care taken in messages:
# e-mail addresses, and PostgreSQL's DETAIL line, which quotes the values of a refused row
# ("Key (email)=(ada@example.org) already exists").
_EMAIL = re.compile(r"[^@\s'\"()<>,;:]+@[^@\s'\"()<>,;:]+\.[A-Za-z]{2,}")
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
# Personal links: the token segment of a candidate's /interview/<token>/... and of a share link
# /review/shared/<token>, and the value of any ...token= parameter, plain or percent-encoded.
_SLASH = r"(?:/|%2[fF])"
_LINK_TOKEN = re.compile(
    rf"({_SLASH}(?:interview|review{_SLASH}shared){_SLASH})(?:(?!%2[fF])[^/?#&\s\"'])+")
_QUERY_TOKEN = re.compile(r"(?i)(token(?:=|%3D))(?:(?!%26|%23)[^&#\s\"'])+")
MASK = "[redacted]"
# What each pattern above cannot match without: a line with none of it (most lines) is kept as
# it is after one search instead of four.
_ANY_CUE = re.compile(r"@|DETAIL:|interview|review|(?i:token)")


def redact_links(text: str) -> str:
    """The text with every personal link token replaced by a fixed mask."""
    return _QUERY_TOKEN.sub(rf"\g<1>{MASK}", _LINK_TOKEN.sub(rf"\g<1>{MASK}", text))


def redact(text: str) -> str:
    """The text with e-mail addresses, database DETAIL values and link tokens replaced."""
    if not _ANY_CUE.search(text):
        return text
    return redact_links(_EMAIL.sub("[email]", _DETAIL.sub(r"\1 [redacted]", text)))


class RedactingFormatter(logging.Formatter):
    """The plain format, with exception text and messages redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's own line, kept to one line: a URL segment or header quoted in a message
        may carry CR or LF (%0A), and must not start a line that looks like another record."""
        line = super().formatMessage(record)
        if "\n" in line or "\r" in line:
            line = line.replace("\r", "\\r").replace("\n", "\\n")
        return line


def configure_logging(level: str = "INFO") -> None:
    """Send records to stderr with a compact, grep-friendly format."""
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"()": RedactingFormatter,
                      "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
        },
        "root": {"level": level, "handlers": ["stderr"]},
        # Alembic (1.18 and later) says "setup plugin ..." seven times in each process that
        # imports it after this: every web worker, at start. Its migration lines stay.
        "loggers": {"alembic.runtime.plugins": {"level": "WARNING"}},
    })
