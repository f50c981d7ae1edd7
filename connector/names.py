"""Names as people will read them: one form for what looks the same, nothing invisible."""

from __future__ import annotations

import unicodedata

MAX_NAME = 200


def display_name(text: str | None, limit: int = MAX_NAME) -> str:
    """NFKC, without control, format (zero-width, bidi) or unassigned characters, single-spaced."""
    words = unicodedata.normalize("NFKC", text or "").split()
    visible = ("".join(c for c in word if not unicodedata.category(c).startswith("C"))
               for word in words)
    return " ".join(word for word in visible if word)[:limit].rstrip()


def same_name(first: str, second: str) -> bool:
    """Whether two names read alike: equal once normalised and case-folded."""
    return display_name(first).casefold() == display_name(second).casefold()
