"""What a kind of backend is: its name, what it can do, how its source is made, and the
options its profile may carry (``--option KEY=VALUE``, the Servers dialog's fields).

Each source module declares its own ``KIND``; ``jobdesk.client.kinds`` only lists them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from jobdesk.client.capabilities import Capabilities
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import Source


@dataclass(frozen=True)
class Field:
    """An option a kind's profile may set (``--option KEY=VALUE``)."""

    key: str
    label: str
    default: str = ""
    help: str = ""
    check: Callable[[str], object] | None = None
    """Raises ValueError for a value the backend cannot use (said before it runs)."""


@dataclass(frozen=True)
class SourceContext:
    """What every source is made from, besides its options."""

    url: str
    token: str
    settings: EngineSettings
    wall: Callable[[], float] = time.time
    batch: bool = True


Factory = Callable[[SourceContext, Mapping[str, str]], Source]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    """What the Servers dialog shows."""
    capabilities: Capabilities
    make: Factory
    fields: tuple[Field, ...] = ()
    needs_token: bool = True
    notes: str = ""
    """One sentence on what it cannot give (README's table, the dialog's hint)."""
    _keys: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset(f.key for f in self.fields))

    def check_options(self, options: Mapping[str, str]) -> dict[str, str]:
        """The options with defaults filled in; unknown keys are refused by name."""
        unknown = sorted(set(options) - self._keys)
        if unknown:
            known = ", ".join(sorted(self._keys)) or "none"
            raise ValueError(f"{self.name} has no option {', '.join(unknown)} (options: {known})")
        checked = {f.key: options.get(f.key, f.default) for f in self.fields}
        for f in self.fields:
            if f.check is not None:
                f.check(checked[f.key])
        return checked
