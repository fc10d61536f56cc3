"""What counts as text that shows something: the one rule for every field a person fills in."""

import unicodedata

# Letters that draw nothing although Unicode does not class them as formatting.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def shows_anything(text):
    """Whether ``text`` shows anything: not only spaces, zero-width and other
    formatting or control characters (U+200B, U+FEFF, U+2060, soft hyphens…)."""
    return any(
        not (char.isspace() or char in BLANK_LETTERS or unicodedata.category(char)[0] == "C")
        for char in text
    )
