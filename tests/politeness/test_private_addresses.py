"""The private-address guard judges every IPv6 spelling of an IPv4 address by that address.

The RFC 6052 readings are checked against the RFC's own examples (section 2.4, with its
documentation prefix 2001:db8:122:344::/96 moved under 64:ff9b:1::/48), and every form by
a property: an IPv4 address that is not public stays refused however it is written.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.politeness.private_hosts import embedded_ipv4, is_private_address

PRIVATE_V4 = ("127.0.0.1", "10.0.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0")
PUBLIC_V4 = ("8.8.8.8", "1.1.1.1", "93.184.216.34")


def mapped(v4: str) -> str:
    return f"::ffff:{v4}"


def compatible(v4: str) -> str:
    return f"::{v4}"


def translated(v4: str) -> str:
    return f"::ffff:0:{v4}"


def nat64(v4: str) -> str:
    return f"64:ff9b::{v4}"


def sixtofour(v4: str) -> str:
    value = int(ipaddress.IPv4Address(v4))
    return str(ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | 1))


def teredo(v4: str) -> str:
    """A Teredo address whose client is ``v4`` (RFC 4380: stored inverted), behind the
    public server 65.54.227.120."""
    server = int(ipaddress.IPv4Address("65.54.227.120"))
    client = int(ipaddress.IPv4Address(v4)) ^ 0xFFFFFFFF
    return str(ipaddress.IPv6Address((0x20010000 << 96) | (server << 64) | (0x8000 << 48) | client))


def rfc6052(prefix: str, v4: str) -> str:
    """RFC 6052 section 2.2, written independently of the guard: the address after the
    prefix, bits 64-71 skipped, zeros after."""
    network = ipaddress.IPv6Network(prefix)
    bits = f"{int(network.network_address):0128b}"[: network.prefixlen]
    bits += f"{int(ipaddress.IPv4Address(v4)):032b}"
    if network.prefixlen < 96:
        bits = bits[:64] + "00000000" + bits[64:]
    return str(ipaddress.IPv6Address(int(bits.ljust(128, "0"), 2)))


def local_nat64(length: int) -> Callable[[str], str]:
    prefix = {48: "64:ff9b:1::/48", 56: "64:ff9b:1:300::/56", 64: "64:ff9b:1:344::/64",
              96: "64:ff9b:1:122:44::/96"}[length]  # fmt: skip
    return lambda v4: rfc6052(prefix, v4)


FORMS: dict[str, Callable[[str], str]] = {
    "IPv4-mapped": mapped,
    "IPv4-compatible": compatible,
    "IPv4-translated": translated,
    "NAT64 64:ff9b::/96": nat64,
    "6to4": sixtofour,
    "Teredo": teredo,
    **{f"NAT64 local /{n}": local_nat64(n) for n in (48, 56, 64, 96)},
}


def test_the_issue_s_case() -> None:
    assert is_private_address("::127.0.0.1")
    assert is_private_address("::7f00:1")


@pytest.mark.parametrize(
    ("address", "expected"),
    [  # RFC 6052 section 2.4's table, 192.0.2.33 under each prefix length
        ("64:ff9b:1:c000:2:2100::", "192.0.2.33"),  # /48
        ("64:ff9b:1:3c0:0:221::", "192.0.2.33"),  # /56
        ("64:ff9b:1:344:c0:2:2100:0", "192.0.2.33"),  # /64
        ("64:ff9b:1:122:344::c000:221", "192.0.2.33"),  # /96
        ("64:ff9b::192.0.2.33", "192.0.2.33"),
        ("2002:c000:221::1", "192.0.2.33"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),  # RFC 4380's example
    ],
)
def test_documented_spellings(address: str, expected: str) -> None:
    assert ipaddress.IPv4Address(expected) in embedded_ipv4(ipaddress.IPv6Address(address))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("v4", PRIVATE_V4)
def test_a_private_ipv4_is_refused_in_every_form(form: str, v4: str) -> None:
    address = FORMS[form](v4)
    assert is_private_address(address), (form, address)


@pytest.mark.parametrize(
    "form", ["IPv4-mapped", "IPv4-compatible", "NAT64 64:ff9b::/96", "NAT64 local /96"]
)
@pytest.mark.parametrize("v4", PUBLIC_V4)
def test_a_public_ipv4_stays_public_where_the_outer_form_is(form: str, v4: str) -> None:
    """Judged by the address it reaches: an IPv6-only network's DNS64 answers are crawlable.
    (IPv4-mapped is never global to Python as an outer form, and 6to4 and Teredo are
    judged by their outer form too.)"""
    address = FORMS[form](v4)
    if form == "IPv4-mapped":
        assert embedded_ipv4(ipaddress.IPv6Address(address)) == [ipaddress.IPv4Address(v4)]
        return
    assert not is_private_address(address), (form, address)


def test_ordinary_ipv6_addresses() -> None:
    assert not is_private_address("2606:4700:4700::1111")
    assert embedded_ipv4(ipaddress.IPv6Address("2606:4700:4700::1111")) == []
    assert is_private_address("::1")
    assert is_private_address("fe80::1%eth0")
    assert is_private_address("fd00::1")


@given(st.ip_addresses(v=4), st.sampled_from(sorted(FORMS)))
def test_no_spelling_makes_a_non_public_ipv4_public(v4: ipaddress.IPv4Address, form: str) -> None:
    address = FORMS[form](str(v4))
    assert v4 in embedded_ipv4(ipaddress.IPv6Address(address))
    if is_private_address(str(v4)):
        assert is_private_address(address), (form, address)
