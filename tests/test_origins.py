"""The one origin of a URL that robots.txt, tdmrep.json, the page book and the watch share."""

from __future__ import annotations

from urllib.parse import urlparse, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.origins import url_origin


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a/b?c=1#d", "https://example.org"),
        ("http://127.0.0.2:8080/", "http://127.0.0.2:8080"),
        ("http://127.0.0.2:8080", "http://127.0.0.2:8080"),
        # spelled as fetched: the page book matches stored URLs by this prefix
        ("http://Example.ORG:80/x", "http://Example.ORG:80"),
        ("http://[::1]:9000/p", "http://[::1]:9000"),
    ],
)
def test_the_origin_is_scheme_and_authority_as_written(url: str, expected: str) -> None:
    assert url_origin(url) == expected


def test_a_split_url_is_taken_as_it_is() -> None:
    url = "https://example.org:8443/set/1?x"
    assert url_origin(urlsplit(url)) == url_origin(urlparse(url)) == url_origin(url)


_hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_paths = st.from_regex(r"(/[A-Za-z0-9._~-]{0,12}){0,4}", fullmatch=True)


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_hosts,
    port=st.one_of(st.none(), st.integers(1, 65535)),
    path=_paths,
)
def test_every_url_of_an_origin_starts_with_it_and_a_slash(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    authority = host if port is None else f"{host}:{port}"
    url = f"{scheme}://{authority}{path or '/'}"
    assert url_origin(url) == f"{scheme}://{authority}"
    assert url.startswith(url_origin(url) + "/")
