"""A template's brand colour as CSS custom properties, readable whatever colour was chosen.

The candidate pages' Content-Security-Policy allows styles from 'self' only, so the colour is
served as a tiny stylesheet (/interview/<token>/brand.css) rather than an inline style. Only a
colour of exactly six hexadecimal digits is ever written into it, so no CSS can be injected.
"""

from __future__ import annotations

import re

HEX_DIGITS = re.compile(r"[0-9a-f]{6}")
DARK_INK = "#1d2330"  # candidate.css's --ink
AA_NORMAL_TEXT = 4.5  # WCAG 2.x contrast minimum for body text


def brand_digits(color: str | None) -> str | None:
    """The six lower-case hex digits of a "#RRGGBB" colour; None for anything else."""
    if not color or not color.startswith("#"):
        return None
    digits = color[1:].lower()
    return digits if HEX_DIGITS.fullmatch(digits) else None


def brand_css(digits: str) -> str:
    """--brand and a readable --brand-ink; --accent (links on white) only if it stays readable."""
    color = f"#{digits}"
    ink = "#fff" if _contrast(color, "#ffffff") >= _contrast(color, DARK_INK) else DARK_INK
    properties = [f"--brand: {color};", f"--brand-ink: {ink};"]
    if _contrast(color, "#ffffff") >= AA_NORMAL_TEXT:
        properties.append(f"--accent: {color};")
    return ":root { " + " ".join(properties) + " }\n"


def _luminance(color: str) -> float:
    """WCAG relative luminance (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
