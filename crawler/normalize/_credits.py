"""Credits inside a title or an artist field: featured artists, versions, labels, IDs.

These rules are shared by the line parser and by the normalization of entries that
arrive with separate fields, so that both give the same fields for the same track and
normalizing a parsed entry changes nothing.
"""

from __future__ import annotations

import re
from typing import Literal

# A version group names its kind in its last word ("Tale Of Us Remix", "Extended Mix"),
# or in its first word when a credit or a year follows ("Remix by X", "Remastered 2015").
# fmt: off
VERSION_WORDS = frozenset({
    "remix", "rmx", "remixed", "mix", "edit", "re-edit", "reedit", "rework", "re-work",
    "reworked", "dub", "vip", "bootleg", "refix", "re-fix", "flip", "version", "instrumental",
    "remaster", "remastered", "rebuild", "re-build", "mashup", "mash-up", "acapella",
    "acappella", "cappella", "extended", "remake", "reinterpretation", "re-interpretation",
    "rerub", "re-rub", "blend",
    # Performances and treatments: "(Live)", "(Piano Cover)", "(Slowed + Reverb)".
    "live", "cover", "reprise", "acoustic", "unplugged", "demo", "nightcore", "reverb",
    "slowed", "ver", "dirty", "clean", "explicit",
})
_LEADING_VERSION_WORDS = frozenset({
    "remix", "rmx", "remixed", "remaster", "remastered", "edit", "mix", "rework", "live",
})
# Versions whose last word alone says nothing ("Sped Up").
_VERSION_ENDINGS = frozenset({("sped", "up"), ("speed", "up"), ("pitched", "up")})
_LEADING_LINKS = frozenset({"by", "from", "at", "in", "on"})
# fmt: on
_ORIGINAL = frozenset(
    {("original",), ("original", "mix"), ("original", "version"), ("orig", "mix")}
)
_WORD_TRIM = ".,;:!?'’\"“”"

# "ID" is case-sensitive: "Fred again.. - id" is a real title.
_UNKNOWN = frozenset({"ID", "Id", "IDs", "ID's", "ID?", "I.D.", "ID ID", "?", "??", "???", "????"})
_UNKNOWN_ARTIST = frozenset({"unknown", "unknown artist"})
_UNKNOWN_TITLE = frozenset({"unknown", "unknown title"})

_OPEN = "([{"
_CLOSE = ")]}"
# "with" only in lower case, as streaming services write a credit ("Bad Guy (with
# Justin Bieber)"); "Falling (With You)" is a title.
_FEAT_MARKER = r"(?:(?i:feat\.?|ft\.?|featuring)|with)"
# A bracketed credit anywhere: "(feat. X)", "[ft. X & Y]", "(Feat: X)", "(with X)".
_FEAT_GROUP = re.compile(r"\s*[(\[{]" + _FEAT_MARKER + r":?\s+([^()\[\]{}]+?)\s*[)\]}]")
# Unbracketed, on the artist side: the undotted forms are common there ("A feat B").
_ARTIST_FEAT = re.compile(r"\s(?:feat\.?|ft\.?|featuring):?\s+", re.I)
# Unbracketed, on the title side: dotted or spelled out only ("A Feat of Strength"),
# running to the next bracket.
# "Ft.Neeve" and "feat.KIN" are written without the space; the undotted "Feat Freddie
# Gibbs" counts too, but not "Feat of".
_TITLE_FEAT = re.compile(
    r"\s(?:(?:feat|ft)[.:]\s*|featuring:?\s+|(?:feat|ft)\s+(?!of\b))"
    r"((?:(?!\s(?:--?|[–—−])\s)[^()\[\]{}])+)",
    re.I,
)
_NAME_SPLIT = re.compile(r"\s*,\s*|\s+&\s+|\s+and\s+", re.I)
_DASH_SUFFIX = re.compile(r"\s+(?:--?|−−|[–—‒―−])\s+")
_QUOTES = {'"': '"', "“": "”", "„": "“", "«": "»", "'": "'", "‘": "’"}
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")  # "Don't" inside a quoted title
# A bracket group that is a shop's or a DJ's note, not a label: "[BUY = FD]", "[Free DL]".
_NOTE = re.compile(r"=|^(?:buy|free\s*(?:dl|download)|out\s+now|forthcoming)\b", re.I)
# Words that say how a video or an upload was made, never what was played: "(Official
# Music Video)", "[HD]", "(Full Album)", "(not the video)". A group of these only is
# dropped, like "Original Mix"; so are the same words written after the title.
_FLUFF_WORDS = frozenset({
    "official", "video", "videoclip", "clip", "audio", "lyric", "lyrics", "music", "full",
    "album", "hd", "hq", "4k", "8k", "mv", "m/v", "visualizer", "visualiser", "the", "not",
    "new", "**new**", "720p", "1080p", "2160p",
})  # fmt: skip
_TRAILING_FLUFF = re.compile(
    r"\s+(?:\*\*new\*\*|official\s+(?:music\s+)?(?:video|audio|mv)|m/v|dance\s+practice"
    r"(?:\s+#\d+)?)$",
    re.I,
)
# How what _TRAILING_FLUFF takes ends, checked before the regex runs.
_FLUFF_TAILS = frozenset({"video", "audio", "mv", "m/v", "**new**", "practice"})
_FLUFF_LAST = frozenset("oOvV*0123456789")  # last letters of those, and of "#2"
_FLUFF_ENDS = _FLUFF_LAST | frozenset("eE")  # and of "practice"
_HANDLE = re.compile(r"\s*\[@\w+\]")  # "Big Limit [@RealBigLimit]": a social handle
VERSION_JOIN = " / "
"""Between the versions of a title that names several ("X Remix / Extended Mix")."""


def is_unknown(text: str | None, *, artist: bool) -> bool:
    """Whether a credit is a placeholder for an unidentified artist or title."""
    if text is None:
        return False
    if text in _UNKNOWN:
        return True
    folded = text.casefold()
    return folded in (_UNKNOWN_ARTIST if artist else _UNKNOWN_TITLE)


def _words(text: str) -> list[str]:
    return [w.strip(_WORD_TRIM) for w in text.casefold().split()]


def is_original(text: str) -> bool:
    """ "Original Mix" and its spellings: the same recording as no version at all."""
    return tuple(_words(text)) in _ORIGINAL


def is_version(text: str) -> bool:
    """Whether the words of a bracket group or dash suffix name a version."""
    return _names_version([w for x in text.casefold().split() if (w := x.strip(_WORD_TRIM))])


def is_fluff(text: str) -> bool:
    """Whether a group or suffix only describes an upload ("Official Video", "HD")."""
    return _all_fluff([w for w in _words(text) if w])


def _all_fluff(words: list[str]) -> bool:
    return bool(words) and words != ["the"] and all(w in _FLUFF_WORDS for w in words)


def is_note(text: str) -> bool:
    """Whether a bracket group is a note ("BUY = FD", "Free Download"), not a label."""
    if not text or ("=" not in text and text[0] not in "bBfFoO"):
        return False
    return _NOTE.search(text) is not None


def _names_version(words: list[str]) -> bool:
    if not words:
        return False
    if words[-1] in VERSION_WORDS or tuple(words[-2:]) in _VERSION_ENDINGS:
        return True
    first = words[0]
    if first in _LEADING_VERSION_WORDS:
        return len(words) == 1 or words[1] in _LEADING_LINKS or words[1].isdigit()
    return False


def _peel(text: str, version: str | None) -> bool | None:
    """For a trailing group or suffix: drop it (True), take it as the version (False),
    or leave it in the title (None)."""
    words = _words(text)
    if tuple(words) in _ORIGINAL:
        return True
    if version is not None:
        return True if text.casefold() == version.casefold() else None
    return False if _names_version([w for w in words if w]) else None


def split_names(text: str) -> list[str]:
    """Featured names, split on ", ", " & " and " and "; placeholders dropped."""
    names = []
    for name in _NAME_SPLIT.split(text):
        name = name.strip(" ,;&")
        if name and not is_unknown(name, artist=True):
            names.append(name)
    return names


def without_main(featured: list[str], artist: str | None) -> list[str]:
    """Featured names less those the main credit already names ("A, B" feat. "B")."""
    if not featured or not artist:
        return featured
    folded = artist.casefold()
    if not any(n.casefold() in folded for n in featured):  # the usual case, cheaply
        return featured
    main = {n.casefold() for n in split_names(artist)}
    return [n for n in featured if n.casefold() not in main]


def merge_names(first: list[str], more: list[str]) -> list[str]:
    """Concatenate name lists, keeping the first spelling of each name."""
    seen = {n.casefold() for n in first}
    merged = list(first)
    for name in more:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            merged.append(name)
    return merged


def trailing_group(text: str) -> tuple[int, str, str] | None:
    """The bracket group that ends ``text``: (start index, inner text, opening bracket)."""
    if not text or text[-1] not in _CLOSE:
        return None
    # Most groups hold no bracket of their own: the last opener is theirs.
    start = max(text.rfind("("), text.rfind("["), text.rfind("{"))
    if start < 0:
        return None
    inner = text[start + 1 : -1]
    if ")" not in inner and "]" not in inner and "}" not in inner:
        return start, inner.strip(), text[start]
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        c = text[i]
        if c in _CLOSE:
            depth += 1
        elif c in _OPEN:
            depth -= 1
            if depth == 0:
                return i, text[i + 1 : -1].strip(), c
    return None


def bracket_depth(text: str, end: int) -> int:
    """How many brackets are open at ``end`` (a separator inside them is not one)."""
    head = text[:end]
    opened = head.count("(") + head.count("[") + head.count("{")
    return opened - head.count(")") - head.count("]") - head.count("}")


def _take_feat_groups(text: str) -> tuple[str, list[str]]:
    """Bracketed featured credits ("(feat. X)", "[ft. Y]") taken out of a field."""
    if "(" not in text and "[" not in text and "{" not in text:
        return text, []
    featured: list[str] = []
    groups = _FEAT_GROUP.findall(text)
    for names in groups:
        featured = merge_names(featured, split_names(names))
    return (_FEAT_GROUP.sub("", text).strip() if groups else text), featured


def split_artist(artist: str | None) -> tuple[str | None, list[str]]:
    """Main credit and featured names of an artist field ("A ft. B & C" -> A, [B, C]).

    The main credit stays as credited: "Adam Beyer & Bart Skils" is one credit.
    """
    if not artist:
        return None, []
    if "[@" in artist:
        artist = _HANDLE.sub("", artist).strip()
    artist, featured = _take_feat_groups(artist)
    low = artist.lower()
    if "ft" in low or "feat" in low:
        m = _ARTIST_FEAT.search(artist)
        if m and m.start() > 0:
            featured = merge_names(split_names(artist[m.end() :]), featured)
            artist = artist[: m.start()].strip()
    return artist or None, featured


def _strip_quotes(title: str) -> str:
    """'"Grey"' -> 'Grey', when the quotes wrap the whole title and nothing else."""
    while len(title) > 2 and _QUOTES.get(title[0]) == title[-1]:
        inner = title[1:-1].strip()
        bare = _APOSTROPHE.sub("", inner) if title[0] in "'‘" else inner
        if not bare or title[0] in bare or title[-1] in bare:
            break
        title = inner
    return title


def split_title(
    title: str | None, version: str | None = None
) -> tuple[str | None, list[str], str | None]:
    """Title, featured names and version of a title field.

    Featured credits come out wherever they are; the version is the last trailing
    group (or " - X Remix" suffix) that names one, "Original Mix" giving None. When
    ``version`` is given, only a repeat of it comes off. Groups that are part of the
    title ("Delilah (pull me out of this)") stay.
    """
    if version is not None and is_original(version):
        version = None
    if not title:
        return None, [], version
    if title[0] in _QUOTES:
        title = _strip_quotes(title)
    title, featured = _take_feat_groups(title)
    low = title.lower()
    if "ft." in low or "ft:" in low or "feat" in low:
        pos = 0
        while (m := _TITLE_FEAT.search(title, pos)) is not None:
            if bracket_depth(title, m.start()) > 0 and not _version_before(title, m.start()):
                pos = m.end()  # inside a group that is not a version: "(segan ft. X flip)"
                continue
            featured = merge_names(featured, split_names(m.group(1)))
            title = " ".join((title[: m.start()] + " " + title[m.end() :]).split())
    title, version = take_version(title, version)
    if title and title[0] in _QUOTES:
        title = _strip_quotes(title)
    return title or None, featured, version


def _version_before(title: str, at: int) -> bool:
    """Whether the group open at ``at`` names a version before it: "(X Remix ft. Y)"."""
    start = max(title.rfind("(", 0, at), title.rfind("[", 0, at), title.rfind("{", 0, at))
    return start >= 0 and is_version(title[start + 1 : at])


def _cut(title: str, end: int) -> str:
    """``title[:end]`` without the dash that introduced what was cut ("Inside - (Dub)")."""
    title = title[:end].rstrip()
    if title.endswith((" -", " --", " –", " —")):
        title = title.rstrip("-–—").rstrip()
    return title


def _inner_version(title: str, start: int) -> tuple[int, str] | None:
    """The version group just before a trailing group that is not one: "Track (X Remix)
    (Part 2)" -> the start and text of "(X Remix)"."""
    head = title[:start].rstrip()
    group = trailing_group(head)
    if group is None or group[0] == 0 or not is_version(group[1]) or is_original(group[1]):
        return None
    return group[0], group[1]


def take_version(title: str, version: str | None = None) -> tuple[str, str | None]:
    """Peel trailing version groups and dash suffixes until the title ends otherwise.

    Returns the title and the version found (or ``version`` when one was given: then
    only a repeat of it and "Original Mix" come off). Several version groups make one
    version, in their order ("X Remix / Extended Mix"); a version group followed by a
    group that is not one ("Track (X Remix) (Part 2)") is still the version.
    """
    given = version is not None
    found: str | None = None
    while title:
        if title[-1] in _FLUFF_ENDS and (unfluffed := _without_trailing_fluff(title)) is not None:
            title = unfluffed
            continue
        part = _trailing_part(title)
        if part is None:
            break
        tail, cut, is_group = part
        words = _tail_words(tail)
        if given:
            if _peel(tail, version) is None and not _all_fluff(words):
                break
        else:
            kind = _tail_kind(words)
            if kind == "version":
                found = _with_version(found, tail)
            elif kind == "other":
                inside = _inner_version(title, cut) if is_group and found is None else None
                if inside is not None:
                    return f"{title[: inside[0]].rstrip()} {title[cut:]}", inside[1]
                break
        title = _cut(title, cut) if is_group else title[:cut].rstrip()
    return title, version if given else found


def _without_trailing_fluff(title: str) -> str | None:
    """The title without a trailing "(Official Video)", "#2" or the like; None when it
    has none (a cheap look at its last letter and word first)."""
    if title[-1] in "eE" and not title.endswith(("ractice", "RACTICE")):
        return None
    last_word = title[title.rfind(" ") + 1 :].lower()
    if last_word not in _FLUFF_TAILS and last_word[0] != "#":
        return None
    fluff = _TRAILING_FLUFF.search(title)
    if fluff is None or fluff.start() <= 0:
        return None
    return title[: fluff.start()].rstrip()


def _trailing_part(title: str) -> tuple[str, int, bool] | None:
    """What may be a version at the end of a title: its trailing group, else the text
    after its last dash outside brackets; with where it starts, and whether it was a
    group. None when the title ends with neither."""
    group = trailing_group(title)
    if group is not None:
        return group[1], group[0], True
    if "-" not in title and "–" not in title and "—" not in title and "−" not in title:
        return None
    last = None
    for m in _DASH_SUFFIX.finditer(title):
        if bracket_depth(title, m.start()) <= 0:
            last = m
    if last is None or last.start() == 0:
        return None
    return title[last.end() :], last.start(), False


def _tail_words(tail: str) -> list[str]:
    return [w for x in tail.casefold().split() if (w := x.strip(_WORD_TRIM))]


def _tail_kind(words: list[str]) -> Literal["original", "version", "fluff", "other"]:
    """What a trailing part says, in this order: "Original Mix", a version, fluff only
    ("Official Video"), or something else (part of the title)."""
    if tuple(words) in _ORIGINAL:
        return "original"
    if _names_version(words):
        return "version"
    if _all_fluff(words):
        return "fluff"
    return "other"


def _with_version(found: str | None, tail: str) -> str:
    """The versions found so far with ``tail`` before them, unless it repeats the first."""
    if found is None:
        return tail
    if tail.casefold() != found.split(VERSION_JOIN)[0].casefold():
        return tail + VERSION_JOIN + found
    return found
