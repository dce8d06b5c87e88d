"""The monitor's own settings, in the platformdirs config folder (settings.json).

Window geometry and the table layout are Qt's business (QSettings); what is kept here
is what the operator chose about notifications (settings.json), and the failures not
acknowledged yet (unacknowledged.json), so a restart keeps the tray's badge.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, replace
from pathlib import Path

from jobdesk.client.profiles import config_dir
from jobdesk.core.notify_policy import NotifySettings
from jobdesk.core.store import JobKey

log = logging.getLogger(__name__)
_FIELDS = (
    "completed",
    "failed",
    "started",
    "stalled",
    "stall_minutes",
    "retrying",
    "summary_interval",
    "rate_burst",
    "rate_interval",
)


class Preferences:
    def __init__(self, folder: Path | None = None) -> None:
        folder = folder or config_dir()
        self.path = folder / "settings.json"
        self.unacknowledged_path = folder / "unacknowledged.json"

    def load_notify(self) -> NotifySettings:
        """The saved choices; defaults for anything missing or unreadable (said in the log)."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8")).get("notifications", {})
        except FileNotFoundError:
            return NotifySettings()
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("ignoring unreadable %s: %s", self.path, exc)
            return NotifySettings()
        if not isinstance(raw, dict):
            log.warning("ignoring %s: 'notifications' is not an object", self.path)
            return NotifySettings()
        chosen = {k: raw[k] for k in _FIELDS if k in raw}
        job_types = raw.get("jobTypes")
        settings = NotifySettings()
        bad = [k for k, v in chosen.items() if not _fits(v, getattr(settings, k))]
        if bad:
            log.warning("ignoring bad notification settings in %s: %s", self.path, bad)
        try:
            settings = replace(
                settings,
                **{k: v for k, v in chosen.items() if k not in bad},
                job_types=frozenset(map(str, job_types)) if isinstance(job_types, list) else None,
            )
        except TypeError as exc:
            log.warning("ignoring bad notification settings in %s: %s", self.path, exc)
        return settings

    def save_notify(self, settings: NotifySettings) -> None:
        values: dict[str, object] = {k: v for k, v in asdict(settings).items() if k in _FIELDS}
        if settings.job_types is not None:
            values["jobTypes"] = sorted(settings.job_types)
        _write(self.path, {"notifications": values})

    def load_unacknowledged(self) -> list[JobKey]:
        """The failures earlier runs left unacknowledged, oldest first per server ([]: none,
        or unreadable)."""
        try:
            raw = json.loads(self.unacknowledged_path.read_text(encoding="utf-8"))
            servers = raw["unacknowledged"]
            return [(str(server), str(i)) for server, ids in servers.items() for i in ids]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring unreadable %s: %s", self.unacknowledged_path, exc)
            return []

    def save_unacknowledged(self, keys: Iterable[JobKey], servers: Iterable[str]) -> None:
        """Save ``keys`` as the whole set for ``servers`` (the ones this monitor watches or
        watched), keeping what is saved for others: a demo, or a second monitor on other
        servers, must not wipe the operator's own monitor's set."""
        kept = {
            server: ids
            for server, ids in _by_server(self.load_unacknowledged()).items()
            if server not in set(servers)
        }
        mine = _by_server(keys)
        _write(self.unacknowledged_path, {"unacknowledged": {**kept, **mine}})


def _by_server(keys: Iterable[JobKey]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for server, job_id in keys:
        grouped.setdefault(server, []).append(job_id)
    return grouped


def _fits(value: object, default: object) -> bool:
    """A saved value of the default's kind: a positive number for the pace, a bool for a switch."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _write(path: Path, content: object) -> None:
    """Atomically: a crash mid-write leaves the old file, not half a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(content, indent=2), encoding="utf-8")
    temporary.replace(path)
