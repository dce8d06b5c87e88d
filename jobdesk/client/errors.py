"""Why a connection attempt ended, as the engine's policy needs to know it."""

from __future__ import annotations


class AuthRejected(Exception):
    """The server refused the token (``auth_failed``, close 1008, HTTP 401/403)."""


class ResyncRequired(Exception):
    """The server cannot say what changed after our seq (410): take a full snapshot."""


class ProtocolBroken(Exception):
    """The server said something the protocol does not allow; reconnect."""


class EngineStopped(Exception):
    """The server is not being watched (its engine is not running): nothing to ask it with."""


class NotAnswering(TimeoutError):
    """A push session the engine gave up on: nothing heard from its server for
    ``unreachable_after`` seconds, while other replicas might answer."""


class RequestRefused(Exception):
    """The server refused a request as bad input (HTTP 400 with an error body): its code,
    its message and the field at fault (e.g. ``from`` for a time it cannot read)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        self.code = code
        self.message = message
        self.field = field
        super().__init__(f"{message} ({field})" if field else message)
