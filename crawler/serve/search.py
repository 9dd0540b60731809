"""Full-text matches from the search index (migration 0004): FTS5 or ``tsvector``.

The index holds tracks and artists by their identity keys and sets by their text folded
by the database (case and accents); a query is folded the same way (``fold``), each word
matching as a prefix and all words required, so "kolsch" finds "Kölsch" and "bic" finds
"Bicep". :func:`matching` is a subquery of ``(id, score)``, higher scores better, to join
with the rows it names; it asks the index with the ``:match`` parameter, the value
:func:`match_value` makes of the words. The subquery is made once per database and kind,
so that the statements around it can be too.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from sqlalchemy import Float, Integer, Subquery, text

from crawler.normalize import fold

__all__ = ["Kind", "match_value", "matching", "query_words"]

Kind = Literal["sets", "tracks", "artists"]
_KEYS = {"sets": "set_id", "tracks": "track_id", "artists": "artist_id"}
_WORD = re.compile(r"[^\W_]+")


def query_words(q: str) -> list[tuple[str, str]]:
    """Each word of ``q`` as written (lower case) and folded like the identity keys.

    A leading "the" is dropped when more follows, as artist keys drop it ("The Chemical
    Brothers" is keyed "chemical brothers").
    """
    words = [(w, fold(w) or w) for w in _WORD.findall(q.casefold())]
    if len(words) > 1 and words[0][1] == "the":
        words = words[1:]
    return words


def _fts5_query(words: list[tuple[str, str]]) -> str:
    """All words, each as a prefix; a word whose folding differs from its text may match
    either (the index folds accents, not letters like "ø" that the keys turn to "o").

    Terms are joined by an explicit ``AND``: FTS5 does not parse an implicit one after a
    parenthesized group (``("a"* OR "â"*) "e"*`` is a syntax error)."""
    terms = []
    for raw, folded in words:
        alternatives = sorted({raw, folded})
        quoted = [f'"{a.replace(chr(34), chr(34) * 2)}"*' for a in alternatives]
        terms.append(quoted[0] if len(quoted) == 1 else f"({' OR '.join(quoted)})")
    return " AND ".join(terms)


def _tsquery(words: list[tuple[str, str]]) -> str:
    return " & ".join(f"'{folded}':*" for _, folded in words)


def match_value(dialect: str, q: str) -> str | None:
    """The ``:match`` parameter for ``q`` on ``dialect``; None when ``q`` has no word."""
    words = query_words(q)
    if not words:
        return None
    return _tsquery(words) if dialect == "postgresql" else _fts5_query(words)


@functools.cache
def matching(dialect: str, kind: Kind) -> Subquery:
    """``(id, score)`` of the rows of ``kind`` matching the ``:match`` parameter."""
    table = f"search_{kind}"
    if dialect == "postgresql":
        stmt = text(
            f"SELECT {_KEYS[kind]} AS id, ts_rank(doc, query) AS score"
            f" FROM {table}, to_tsquery('simple', unaccent(:match)) AS query WHERE doc @@ query"
        )
    else:
        stmt = text(f"SELECT rowid AS id, -rank AS score FROM {table} WHERE {table} MATCH :match")
    return stmt.columns(id=Integer, score=Float).subquery(f"{kind}_match")
