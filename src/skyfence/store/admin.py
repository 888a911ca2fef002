"""Administration: API tokens, sink configuration and the audit log.

Tokens: :meth:`AdminMixin.create_token` returns ``secrets.token_urlsafe(32)`` (32 random
bytes) once; only its SHA-256 is stored. A token is looked up by that hash, then the hash is
compared again with :func:`hmac.compare_digest`: the lookup's timing can only depend on a
SHA-256 of the guess, which tells an attacker nothing about a valid token.

Sinks: ``http(s)://`` webhooks, ``mqtt(s)://`` and ``nats://``/``tls://`` brokers, with an
optional secret (e.g. for signing webhook bodies). The secret and any password in the URL
are returned only to a caller that asks for them (``sinks(with_secrets=True)``, the live
driver) and never written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa

from skyfence.errors import InputError
from skyfence.store.base import ConflictError, NotFoundError, StoreBase, audit
from skyfence.store.schema import audit_log, outbox, sinks, tokens

__all__ = ["ROLES", "SINK_SCHEMES", "AdminMixin", "hash_token"]

ROLES = ("viewer", "operator", "admin")
SINK_SCHEMES = ("http", "https", "mqtt", "mqtts", "nats", "tls")
# a token is 43 characters; anything much longer is not one of ours
_MAX_TOKEN_LENGTH = 256


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _redact(url: str) -> str:
    """``url`` without a password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _check_sink_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InputError(f"bad sink URL: {exc}", field="url") from None
    if parts.scheme not in SINK_SCHEMES or not parts.hostname:
        raise InputError(f"a sink URL needs a host and one of the schemes "
                         f"{', '.join(SINK_SCHEMES)}: got {_redact(url)!r}", field="url")


class AdminMixin(StoreBase):
    # -- tokens -------------------------------------------------------------------------
    def create_token(self, name: str, role: str, user: str = "admin") -> str:
        """A new token for ``name`` with ``role``; the plaintext is returned only here."""
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}",
                             field="role")
        if not name:
            raise InputError("a token needs a name", field="name")
        token = secrets.token_urlsafe(32)
        with self._write("create_token") as conn:
            if conn.execute(sa.select(tokens.c.name).where(tokens.c.name == name)).first():
                raise ConflictError(f"a token named {name!r} exists: revoke it first")
            now = self._now()
            conn.execute(sa.insert(tokens).values(
                name=name, role=role, token_hash=hash_token(token), created_at=now,
                created_by=user))
            audit(conn, now, user, "token.create", name, {"role": role})
        return token

    def verify_token(self, token: str) -> tuple[str, str] | None:
        """``(name, role)`` for a valid token, else ``None``."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        digest = hash_token(token)
        with self._read("verify_token") as conn:
            row = conn.execute(sa.select(tokens.c.name, tokens.c.role, tokens.c.token_hash)
                               .where(tokens.c.token_hash == digest)).first()
        if row is None or not hmac.compare_digest(row.token_hash, digest):
            return None
        return str(row.name), str(row.role)

    def revoke_token(self, name: str, user: str = "admin") -> None:
        with self._write("revoke_token") as conn:
            if conn.execute(sa.delete(tokens).where(tokens.c.name == name)).rowcount == 0:
                raise NotFoundError(f"no token named {name!r}")
            audit(conn, self._now(), user, "token.revoke", name)

    def tokens(self) -> list[dict[str, Any]]:
        """``name``, ``role``, ``created_at``, ``created_by`` of each token (never a hash)."""
        query = sa.select(tokens.c.name, tokens.c.role, tokens.c.created_at,
                          tokens.c.created_by).order_by(tokens.c.name)
        with self._read("tokens") as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- sinks --------------------------------------------------------------------------
    def add_sink(self, name: str, url: str, secret: str | None = None,
                 user: str = "admin") -> None:
        if not name:
            raise InputError("a sink needs a name", field="name")
        _check_sink_url(url)
        with self._write("add_sink") as conn:
            if conn.execute(sa.select(sinks.c.name).where(sinks.c.name == name)).first():
                raise ConflictError(f"a sink named {name!r} exists: remove it first")
            now = self._now()
            conn.execute(sa.insert(sinks).values(
                name=name, url=url, secret=secret, created_at=now, created_by=user))
            audit(conn, now, user, "sink.add", name,
                  {"url": _redact(url), "has_secret": secret is not None})

    def sinks(self, *, with_secrets: bool = False) -> list[dict[str, Any]]:
        """``name``, ``url``, ``has_secret``, ``created_at``, ``created_by`` of each sink;
        with ``with_secrets`` also ``secret`` and the URL's password."""
        with self._read("sinks") as conn:
            rows = conn.execute(sa.select(sinks).order_by(sinks.c.name)).all()
        out = []
        for r in rows:
            item: dict[str, Any] = {
                "name": r.name, "url": r.url if with_secrets else _redact(r.url),
                "has_secret": r.secret is not None, "created_at": r.created_at,
                "created_by": r.created_by}
            if with_secrets:
                item["secret"] = r.secret
            out.append(item)
        return out

    def remove_sink(self, name: str, user: str = "admin") -> None:
        """Remove a sink; its pending notifications become dead letters ("sink removed")."""
        with self._write("remove_sink") as conn:
            if conn.execute(sa.delete(sinks).where(sinks.c.name == name)).rowcount == 0:
                raise NotFoundError(f"no sink named {name!r}")
            dead = conn.execute(
                sa.update(outbox).where(outbox.c.sink == name, outbox.c.state == "pending")
                .values(state="dead", last_error="sink removed")).rowcount
            audit(conn, self._now(), user, "sink.remove", name, {"dead_lettered": int(dead)})

    # -- audit log ----------------------------------------------------------------------
    def audit_log(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Operator actions, newest first: ``at``, ``user``, ``action``, ``target``,
        ``detail``."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        with self._read("audit_log") as conn:
            return [{"at": r.at, "user": r.actor, "action": r.action, "target": r.target,
                     "detail": r.detail or {}} for r in conn.execute(query)]
