"""The open WebSockets, by the token each authenticated with, so a revocation reaches them.

A revoked token must stop working everywhere within a second: REST requests ask the
token cache, which the token watch keeps in step with the table; an open socket asked
nothing after its ``auth``, so the watch closes the sockets of every token gone from the
table (``retain``), with 1008.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

POLICY_VIOLATION = 1008


class Session(Protocol):
    def close_soon(self, code: int, reason: str) -> None:
        """Close the socket as soon as the event loop gets to it."""


class Sessions:
    def __init__(self) -> None:
        self._by_token: dict[str, set[Session]] = {}

    def add(self, token_hash: str, session: Session) -> None:
        self._by_token.setdefault(token_hash, set()).add(session)

    def discard(self, token_hash: str, session: Session) -> None:
        sessions = self._by_token.get(token_hash)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._by_token[token_hash]

    def retain(self, valid: Collection[str]) -> int:
        """Close every session whose token is not in ``valid``; returns how many."""
        closed = 0
        for token_hash in [t for t in self._by_token if t not in valid]:
            for session in self._by_token.pop(token_hash):
                session.close_soon(POLICY_VIOLATION, "token revoked")
                closed += 1
        return closed

    def __len__(self) -> int:
        return sum(map(len, self._by_token.values()))
