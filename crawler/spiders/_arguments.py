"""Spider arguments (``-a NAME=VALUE``) checked at start-up, so a typo stops the crawl.

Scrapy sets any ``-a`` it is given as a spider attribute, so ``-a start_url=...`` (for
``start_urls``) used to be accepted and the crawl ran with nothing to do. The shipped
spiders accept their ``__init__`` parameters, the attributes their class defines (the
usual way for a subclass to take an argument), and names starting with ``_`` (scrapyd
passes ``_job``); anything else is refused, naming the closest accepted one.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable

from scrapy.exceptions import UsageError

__all__ = ["SpiderArgumentError", "check_arguments"]


class SpiderArgumentError(UsageError):
    """Arguments the spider cannot crawl with: Scrapy's usage error, one line, exit 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message, print_help=False)


def _parameters(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for param in inspect.signature(init).parameters.values():
            if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
                names.add(param.name)
    names -= {"self", "name"}
    return names


def check_arguments(cls: type, given: Iterable[str]) -> None:
    """Refuse ``given`` names ``cls`` does not take; the message names the closest one."""
    accepted = _parameters(cls)
    unknown = [name for name in given if not name.startswith("_") and not hasattr(cls, name)]
    if not unknown:
        return
    public = sorted(n for n in accepted if not n.startswith("_") and n != "kwargs")
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, public, n=1)
        problems.append(f"{name}" + (f" (did you mean {close[0]}?)" if close else ""))
    raise SpiderArgumentError(
        f"unknown argument of spider {getattr(cls, 'name', cls.__name__)!r}: "
        f"-a {', -a '.join(problems)}; it takes {', '.join(public)}"
    )
