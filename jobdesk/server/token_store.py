"""The tokens table: who may call the server, by the SHA-256 of their token.

Written by ``jobdesk token create|revoke`` straight into the database (so the very first
operator token exists before anyone can authenticate), and read by the running server,
which watches the table to drop revoked tokens within a second (``token_watch.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select

from jobdesk.server.db import schema
from jobdesk.server.db.engine import writing

ID_LENGTH = 12
"""A token's id is the start of its hash: enough to name it, nothing to guess it by."""


@dataclass(frozen=True)
class TokenRecord:
    hash: str
    name: str
    role: str
    created_at: str

    @property
    def id(self) -> str:
        return self.hash[:ID_LENGTH]


class DuplicateName(ValueError):
    """A token with this name exists: names say who did what, so each is one token."""


_t = schema.tokens.c
_COLUMNS = (_t.hash, _t.name, _t.role, _t.created_at)


class TokenStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def find(self, token_hash: str) -> TokenRecord | None:
        with self._engine.begin() as conn:
            row = conn.execute(select(*_COLUMNS).where(_t.hash == token_hash)).first()
        return None if row is None else TokenRecord(*row)

    def any(self) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(select(_t.hash).limit(1)).first() is not None

    def all(self) -> list[TokenRecord]:
        with self._engine.begin() as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(_t.name, _t.created_at)).all()
        return [TokenRecord(*row) for row in rows]

    def hashes(self) -> frozenset[str]:
        """Every valid token's hash: what the server compares against to see revocations."""
        with self._engine.begin() as conn:
            return frozenset(conn.execute(select(_t.hash)).scalars())

    def add(self, record: TokenRecord) -> None:
        """Store a new token; DuplicateName when its name is taken. The check and the
        insert are one transaction, so two creations of one name cannot both pass."""
        with writing(self._engine) as conn:
            taken = conn.execute(select(func.count()).where(_t.name == record.name)).scalar()
            if taken:
                raise DuplicateName(
                    f"a token named {record.name!r} exists; revoke it first to replace it "
                    f"(jobdesk token revoke {record.name})"
                )
            conn.execute(
                schema.tokens.insert(),
                {
                    "hash": record.hash,
                    "name": record.name,
                    "role": record.role,
                    "created_at": record.created_at,
                },
            )

    def remove(self, name_or_id: str) -> list[TokenRecord]:
        """Delete the tokens with this name, or else the one with this id; returns them
        (empty when nothing matched)."""
        with writing(self._engine) as conn:
            rows = conn.execute(select(*_COLUMNS).where(_t.name == name_or_id)).all()
            if not rows and len(name_or_id) == ID_LENGTH:
                rows = conn.execute(
                    select(*_COLUMNS).where(_t.hash.startswith(name_or_id, autoescape=True))
                ).all()
            found = [TokenRecord(*row) for row in rows]
            if found:
                conn.execute(delete(schema.tokens).where(_t.hash.in_([r.hash for r in found])))
        return found
