"""A value that tells its listeners when it changes: the engine's connection state.

Plain callbacks, no Qt: the GUI adapts it to a signal, the command line prints it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
Listener = Callable[[T], None]


class Observable(Generic[T]):
    def __init__(self, value: T) -> None:
        self._value = value
        self._listeners: list[Listener[T]] = []

    @property
    def value(self) -> T:
        return self._value

    def set(self, value: T) -> None:
        """Store ``value`` and tell every listener, unless it equals the current one."""
        if value == self._value:
            return
        self._value = value
        for listener in list(self._listeners):
            listener(value)

    def subscribe(self, listener: Listener[T]) -> Callable[[], None]:
        """Call ``listener`` on every change; returns the function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe
