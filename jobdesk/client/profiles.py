"""Saved server profiles: names, URLs, backend kinds and their options in the config
folder; tokens in the keyring.

Tokens never go into the config file. Where no keyring works (a headless box, a desktop
without a secret service), the store says so and keeps tokens in memory for the session;
the GUI tells the operator.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from jobdesk.client.endpoints import endpoints
from jobdesk.client.kinds import DEFAULT_KIND, kind_of
from jobdesk.client.monitor import ServerProfile

log = logging.getLogger(__name__)
KEYRING_SERVICE = "jobdesk"


PROBE_NAME = "jobdesk keyring probe"
"""The keyring entry ``probe_keyring`` reads (never written): any answer means it works."""


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir("jobdesk", appauthor=False))


@dataclass(frozen=True)
class SavedServer:
    name: str
    url: str
    kind: str = DEFAULT_KIND
    options: dict[str, str] = field(default_factory=dict, hash=False)


class ProfileStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or config_dir()) / "servers.json"
        self.keyring_works = True
        self._memory: dict[str, str] = {}
        """Tokens kept for this session only, when the keyring failed."""

    def load(self) -> list[ServerProfile]:
        """Every saved server with its token ("" when none is known)."""
        return [
            ServerProfile(s.name, s.url, self.token(s.name), s.kind, s.options)
            for s in self.servers()
        ]

    def servers(self) -> list[SavedServer]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {self.path}: {exc}") from exc
        return [_saved(item) for item in raw.get("servers", [])]

    def save(self, profiles: list[ServerProfile]) -> None:
        """Write names and URLs; tokens go to the keyring (or memory). Checks every URL."""
        names = [p.name.strip() for p in profiles]
        if any(not name for name in names):
            raise ValueError("every server needs a name")
        if len(set(names)) != len(names):
            raise ValueError("server names must be unique")
        for profile in profiles:
            endpoints(profile.url)  # ValueError naming the bad URL
            kind_of(profile.kind).check_options(profile.options)  # ValueError naming it
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"servers": [_entry(p) for p in profiles]}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(body, indent=2), encoding="utf-8")
        temporary.replace(self.path)  # never a half-written file
        for profile in profiles:
            self.set_token(profile.name.strip(), profile.token)

    def token(self, name: str) -> str:
        if name in self._memory:
            return self._memory[name]
        if not self.keyring_works:
            return ""
        # imported here, off the GUI thread (the monitor loads tokens in a worker thread):
        # keyring and its backends take ~90 ms to import, a tenth of the cold start
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, name) or ""
        except KeyringError as exc:
            self._keyring_failed(exc)
            return ""

    def set_token(self, name: str, token: str) -> None:
        import keyring
        from keyring.errors import KeyringError

        if self.keyring_works:
            try:
                keyring.set_password(KEYRING_SERVICE, name, token)
                self._memory.pop(name, None)
                return
            except KeyringError as exc:
                self._keyring_failed(exc)
        self._memory[name] = token

    def probe_keyring(self) -> bool:
        """Whether the system keyring works, asked before any token is typed (a first
        start has none to read), so the servers dialog can warn that a token will be
        kept for this session only. A D-Bus round trip: call it off the GUI thread."""
        self.token(PROBE_NAME)
        return self.keyring_works

    def _keyring_failed(self, exc: Exception) -> None:
        log.warning("no working keyring (%s): tokens are kept for this session only", exc)
        self.keyring_works = False


def _saved(item: dict[str, object]) -> SavedServer:
    """A servers.json entry; one written before kinds existed is a jobdesk server."""
    options = item.get("options") or {}
    if not isinstance(options, dict):
        raise ValueError(f"options of {item.get('name')!r} must be an object")
    return SavedServer(
        str(item["name"]),
        str(item["url"]),
        str(item.get("kind") or DEFAULT_KIND),
        {str(k): str(v) for k, v in options.items()},
    )


def _entry(profile: ServerProfile) -> dict[str, object]:
    entry: dict[str, object] = {"name": profile.name.strip(), "url": profile.url.strip()}
    if profile.kind != DEFAULT_KIND:
        entry["kind"] = profile.kind
    if profile.options:
        entry["options"] = dict(profile.options)
    return entry
