"""ReadAllOnce: one read of every key's rows when few enough, else one read per key."""

from __future__ import annotations

import pytest

from crawler.store.preload import ReadAllOnce

ROWS = {"a.example": [1, 2], "b.example": [3]}


class Reads:
    def __init__(self, rows: dict[str, list[int]], fail_all: bool = False) -> None:
        self.rows = rows
        self.fail_all = fail_all
        self.all = 0
        self.one: list[str] = []

    def read_all(self, limit: int) -> dict[str, list[int]] | None:
        self.all += 1
        if self.fail_all:
            raise OSError("store away")
        return None if len(self.rows) > limit else {k: list(v) for k, v in self.rows.items()}

    def read_one(self, key: str) -> list[int]:
        self.one.append(key)
        return list(self.rows.get(key, []))


def test_few_enough_keys_are_read_in_one_read_and_a_missing_one_gets_its_own_value() -> None:
    reads = Reads(ROWS)
    preload = ReadAllOnce(reads.read_all, reads.read_one, limit=2, missing=list)
    assert preload.take("a.example") == [1, 2]
    assert preload.read_all
    first, second = preload.take("c.example"), preload.take("d.example")
    first.append(9)  # the caller adds to it: another missing key is not touched
    assert (first, second) == ([9], [])
    assert preload.take("b.example") == [3]
    assert (reads.all, reads.one) == (1, [])


def test_past_the_limit_each_key_is_read_on_its_own() -> None:
    reads = Reads(ROWS)
    preload = ReadAllOnce(reads.read_all, reads.read_one, limit=1, missing=list)
    assert preload.take("b.example") == [3]
    assert preload.take("c.example") == []
    assert not preload.read_all
    assert (reads.all, reads.one) == (1, ["b.example", "c.example"])


def test_a_failed_read_of_all_is_not_retried() -> None:
    reads = Reads(ROWS, fail_all=True)
    preload = ReadAllOnce(reads.read_all, reads.read_one, limit=10, missing=list)
    with pytest.raises(OSError):
        preload.take("a.example")
    assert preload.take("a.example") == [1, 2]
    assert (reads.all, reads.one) == (1, ["a.example"])
