"""The monitor's own settings, in the platformdirs config folder (settings.json).

Window geometry and the table layout are Qt's business (QSettings); what is kept here
is what the operator chose about notifications.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

from jobdesk.client.profiles import config_dir
from jobdesk.core.notify_policy import NotifySettings

log = logging.getLogger(__name__)
_FIELDS = ("completed", "failed", "started", "stalled", "stall_minutes", "retrying")


class Preferences:
    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or config_dir()) / "settings.json"

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
        try:
            settings = replace(
                settings,
                **chosen,
                job_types=frozenset(map(str, job_types)) if isinstance(job_types, list) else None,
            )
        except TypeError as exc:
            log.warning("ignoring bad notification settings in %s: %s", self.path, exc)
        return settings

    def save_notify(self, settings: NotifySettings) -> None:
        values = {k: v for k, v in asdict(settings).items() if k in _FIELDS}
        if settings.job_types is not None:
            values["jobTypes"] = sorted(settings.job_types)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"notifications": values}, indent=2), encoding="utf-8")
        temporary.replace(self.path)
