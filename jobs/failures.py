"""Why a job's attempt failed, in words safe to store and show an admin: no candidate data."""

from __future__ import annotations

import re

from config.logging import redact

MAX_REASON = 160  # leaves room in a 200-character column for a word before it
# Quoted values are what an exception's text may carry of the row it was working on
# ("invalid literal for int() with base 10: 'Ada'"); the words around them say what failed.
# An apostrophe inside a word ("can't") opens no quote.
_QUOTED = re.compile(r"(?<!\w)('[^']*'|\"[^\"]*\")(?!\w)")


def reason(error: BaseException) -> str:
    """The exception's type and the first line of its text, quoted values and addresses hidden."""
    lines = str(error).strip().splitlines()
    text = _QUOTED.sub("'…'", redact(lines[0])) if lines else ""
    words = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return words if len(words) <= MAX_REASON else words[:MAX_REASON - 1] + "…"


class Abandoned(Exception):
    """Every attempt on a row so far ended without recording why: its worker was killed."""

    def __init__(self, attempts: int):
        super().__init__(f"{attempts - 1} attempts ended without an outcome")
