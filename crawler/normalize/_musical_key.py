"""Musical keys written into titles by DJs and their tools: taken out, kept as the key.

Library tools (Mixed In Key, rekordbox's "add key to title") write the Camelot (1A-12B)
or Open Key (1m-12d) notation into the title: "2A - 5 - Title" (key, then energy
level), "Title - 12A/1A" (two keys), "9B - Title". Left there, the key
would be part of the title, and of every key the store derives from it.
"""

from __future__ import annotations

import re

_KEY = r"(?:1[0-2]|0?[1-9])[ABab]|(?:1[0-2]|0?[1-9])[mdMD]"
_KEYS = rf"(?:{_KEY})(?:\s*/\s*(?:{_KEY}))?"
# "2A - 5 - Title" (key, energy level), "9B - Title", "[8A] Title", "(8A) Title"; not
# "2B Or Not 2B", where nothing sets the key apart.
_LEADING = re.compile(
    rf"^\s*(?:(?P<key>{_KEYS})\s*-\s*(?:(?:10|[1-9])\s*-\s*)?|[\[(](?P<bracketed>{_KEYS})[\])]\s*)(?=\S)"
)
# "Title - 12A/1A", "Title [8A]", "Title (8A)".
_TRAILING = re.compile(rf"(?:\s+-\s+|\s*[\[(])(?P<key>{_KEYS})[\])]?\s*$")
_WHOLE = re.compile(rf"^\s*(?P<key>{_KEYS})\s*$")


def take_key(title: str | None, key: str | None) -> tuple[str | None, str | None]:
    """The title without a key notation in it, and the key (the one given first, else
    the one found). A title that is a key alone stays: it may be the track's name."""
    if not title:
        return title, key
    found = None
    if _WHOLE.match(title) is None:
        if match := _LEADING.match(title):
            found, title = match.group("key") or match.group("bracketed"), title[match.end() :]
        elif match := _TRAILING.search(title):
            found, title = match.group("key"), title[: match.start()]
    if found is not None and key is None:
        key = _normal(found)
    return title, key


def _normal(key: str) -> str:
    """One spelling: upper-case Camelot letter, lower-case Open Key letter, no zero or
    spaces ("08a" and "8A" are one key)."""
    parts = [p.strip() for p in key.split("/")]
    return "/".join(
        str(int(p[:-1])) + (p[-1].upper() if p[-1] in "ABab" else p[-1].lower()) for p in parts
    )
