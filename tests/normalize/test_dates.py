"""Dates as users and APIs write them: the shape, and a day the calendar has."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.normalize import is_date


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2023", True),
        ("2023-02", True),
        ("2024-02-29", True),  # a leap day
        ("2023-02-29", False),  # not in 2023
        ("2023-02-30", False),
        ("2023-04-31", False),
        ("2023-13", False),
        ("2023-00-10", False),
        ("23-02-01", False),
        ("2023-2-1", False),
        ("2023-02-01T10:00", False),
        ("yesterday", False),
        ("", False),
    ],
)
def test_dates(value: str, ok: bool) -> None:
    assert is_date(value) is ok


def test_a_day_only_when_asked() -> None:
    assert is_date("2023-02-01", day=True)
    assert not is_date("2023-02", day=True)
    assert not is_date("2023", day=True)


@given(st.integers(1000, 9999), st.integers(1, 12), st.integers(1, 31))
def test_a_day_is_what_the_calendar_says(year: int, month: int, day: int) -> None:
    try:
        datetime.date(year, month, day)
    except ValueError:
        real = False
    else:
        real = True
    assert is_date(f"{year:04d}-{month:02d}-{day:02d}") is real
