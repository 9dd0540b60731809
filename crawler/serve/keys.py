"""API keys of ``crawler serve``: made once, kept as a SHA-256, checked on every request.

A key is 32 random bytes (``secrets``), printed once by ``crawler serve keys add NAME``;
the store holds its hash only, so a copy of the store gives no key away. Every write
request looks its key up in the store, so that ``keys revoke`` takes effect at once on a
running server (one indexed read; the write endpoints are few and slow by nature).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.store.models import ServeKey

__all__ = ["KeyProblem", "add_key", "bearer", "check_key", "hash_key", "list_keys", "revoke_key"]

PREFIX = "tlc_"
"""Keys start with it, so that a leaked one is easy to find in logs and code."""


class KeyProblem(ValueError):
    """A key that cannot be added or revoked (the name is taken, or unknown)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(session: Session, name: str) -> str:
    """A new key named ``name``; the caller prints it, the store keeps its hash."""
    existing = session.scalar(select(ServeKey).where(ServeKey.name == name))
    if existing is not None and existing.revoked_at is not None:
        # the jobs it started name it: a new key under it would pass for the old one's
        raise KeyProblem(f"a key named {name!r} was revoked; names are not reused: choose another")
    if existing is not None:
        raise KeyProblem(f"a key named {name!r} exists (revoke it, or choose another name)")
    key = PREFIX + secrets.token_urlsafe(32)
    session.add(ServeKey(name=name, key_hash=hash_key(key), created_at=_now()))
    return key


def list_keys(session: Session) -> Sequence[ServeKey]:
    return session.scalars(select(ServeKey).order_by(ServeKey.name)).all()


def revoke_key(session: Session, name: str) -> bool:
    """Revoke the key ``name``; False when it was revoked already."""
    key = session.scalar(select(ServeKey).where(ServeKey.name == name))
    if key is None:
        raise KeyProblem(f"no key named {name!r}")
    if key.revoked_at is not None:
        return False
    key.revoked_at = _now()
    return True


def check_key(session: Session, key: str) -> str | None:
    """The name of the live key ``key``, or None."""
    stmt = select(ServeKey.name).where(
        ServeKey.key_hash == hash_key(key), ServeKey.revoked_at.is_(None)
    )
    return session.scalar(stmt)


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def require_key(request: Request) -> str:
    """The name of the request's live key; 401 (nothing done) without one."""
    token = bearer(request)
    name = None
    if token:
        with request.app.state.sessions() as db:
            name = check_key(db, token)
    if name is None:
        raise HTTPException(
            401, "a valid API key is needed: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": 'Bearer realm="crawls"'},
        )  # fmt: skip
    return name
