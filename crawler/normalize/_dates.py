"""Dates as users and APIs write them: YYYY, YYYY-MM or YYYY-MM-DD."""

from __future__ import annotations

import datetime
import re

__all__ = ["DATE_PATTERN", "is_date"]

DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
"""The shape alone (for a schema): it lets 2023-02-30 through; :func:`is_date` does not."""
_DATE = re.compile(DATE_PATTERN)


def is_date(value: str, *, day: bool = False) -> bool:
    """Whether ``value`` is a year, a month or a day the calendar has (only a day with
    ``day=True``): a search for sets since 30 February, or a query sent on to a site with
    it, can only be refused later and less clearly."""
    if not _DATE.match(value) or (day and len(value) != 10):
        return False
    if len(value) == 10:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return False
    return True
