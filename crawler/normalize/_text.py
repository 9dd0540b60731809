"""Text clean-up shared by every field: entities, mojibake, Unicode form, whitespace.

Most tracklist lines are plain ASCII without entities, so each step first checks
cheaply whether it can change anything: the parser runs once per line of every
set, and ftfy is by far its most expensive step.
"""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
from ftfy.badness import is_bad

# Only entities written out in full (with the semicolon): html.unescape alone would also
# turn the legacy forms without one into characters ("&notice" -> "¬ice").
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Invisible characters that str.split() does not count as whitespace.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"), None)
_FTFY_ALWAYS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufb00-\ufb06\ufffd\ud800-\udfff]")
_SUSPECT = re.compile("[\u00c2-\u00f4\u0402-\u045f\u2500-\u257f\u0100-\u017f]")
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,  # done above, with the stricter pattern
    uncurl_quotes=False,  # keep "Don’t" as the page wrote it; keys fold quotes anyway
    fix_character_width=False,
    explain=False,
)


# Control characters other than whitespace: no tracklist means them, and PostgreSQL
# refuses NUL in text where SQLite takes it, so they never reach the store.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_CONTROL_ALL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str | None) -> str | None:
    """``text`` without control characters, tabs and line breaks kept (for raw text)."""
    if text is None or text.isprintable():
        return text
    return _CONTROL_ALL.sub("", text)


def _needs_ftfy(text: str) -> bool:
    """Whether ftfy could change the text: control characters, ligatures, or mojibake.

    Mojibake always holds a character of _SUSPECT (the Latin-1/cp1252 and cp1251 forms
    of UTF-8 lead bytes, box drawing for cp437); only then is ftfy's own test run.
    """
    if _FTFY_ALWAYS.search(text):
        return True
    return _SUSPECT.search(text) is not None and is_bad(text)


def _unescape(match: re.Match[str]) -> str:
    return html.unescape(match.group(0))


def clean_text(text: str | None) -> str | None:
    """Entities decoded, mojibake repaired, NFC, control characters dropped, whitespace
    runs collapsed; None when empty.

    Idempotent: entities are decoded until none is left ("&amp;amp;" is common on
    pages that escape twice), so cleaning clean text changes nothing.
    """
    if text is None:
        return None
    if "&" in text and ";" in text:
        while True:
            decoded = _ENTITY.sub(_unescape, text)
            if decoded == text:
                break
            text = decoded
    if not text.isascii():
        text = " ".join(text.translate(INVISIBLE).split())
        if _needs_ftfy(text):
            for _ in range(3):  # ftfy may need a second pass on doubly broken text
                fixed = ftfy.fix_text(text, _FTFY)
                if fixed == text:
                    break
                text = fixed
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    if not text.isprintable():
        text = _CONTROL.sub("", text)
    text = " ".join(text.split())
    return text or None


def refine(text: str | None) -> str | None:
    """Clean a part cut out of a cleaned text: only non-ASCII parts can change."""
    return text if text is None or text.isascii() else clean_text(text)


def refine_names(names: list[str]) -> list[str]:
    if all(map(str.isascii, names)):
        return names
    return [n for n in map(refine, names) if n]
