"""The status bar: per server, how its data reaches us; and how many jobs are in each state."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from jobdesk.client.capabilities import JOBDESK, Can, Capabilities
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.eta import format_duration

TRANSPORT_TEXT = {
    Transport.CONNECTING: "connecting…",
    Transport.LIVE: "live push",
    Transport.POLLING: "polling fallback",
    Transport.OFFLINE: "unreachable",
    Transport.AUTH_FAILED: "auth failed",
}
TRANSPORT_COLOUR = {
    Transport.CONNECTING: "#888888",
    Transport.LIVE: "#2e9d4e",
    Transport.POLLING: "#c98a00",
    Transport.OFFLINE: "#d03c3c",
    Transport.AUTH_FAILED: "#d03c3c",
}


def transport_text(state: ConnectionState, now: float, capabilities: Capabilities = JOBDESK) -> str:
    """``unreachable · data 25 s old · retry in 7 s``: how old what is shown may be, and
    the countdown, are what an operator watches. A backend's own delivery words replace
    "live push" ("live, no replay") and "polling fallback" ("polled", when polling is
    all it offers). With replicas, which one is in use: ``live push via host:8766``."""
    text = TRANSPORT_TEXT[state.transport]
    if state.transport is Transport.LIVE:
        text = capabilities.delivery
    elif state.transport is Transport.POLLING and Can.PUSH not in capabilities:
        text = "polled"
    if state.transport is Transport.CONNECTING:
        text = text.removesuffix("…") + state.where() + ("…" if state.via else "")
    else:
        text += state.where()
    age = state.data_age(now)
    if age is not None:
        text += f" · data {format_duration(age)} old"
    if state.next_retry_at is not None:
        text += f" · retry in {max(0.0, state.next_retry_at - now):.0f} s"
    return text


class ServerStatus(QWidget):
    """One server's transport, with a button to enter a new token when auth failed."""

    token_requested = Signal(str)

    def __init__(self, server: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.server = server
        self.state = ConnectionState(Transport.CONNECTING)
        self.capabilities = JOBDESK
        self.token_missing = False
        """No token was saved for this server (none given, or no keyring kept it): a
        refusal then means "enter one", not "yours is wrong"."""
        self.label = QLabel()
        self.button = QPushButton("Enter token…")
        self.button.clicked.connect(lambda: self.token_requested.emit(self.server))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self.set_state(self.state)

    def set_state(self, state: ConnectionState) -> None:
        self.state = state
        self.button.setVisible(state.transport is Transport.AUTH_FAILED)
        self.refresh(time.time())

    def set_capabilities(self, capabilities: Capabilities) -> None:
        self.capabilities = capabilities
        self.refresh(time.time())

    def set_token_missing(self, missing: bool) -> None:
        self.token_missing = missing
        self.refresh(time.time())

    def refresh(self, now: float) -> None:
        colour = TRANSPORT_COLOUR[self.state.transport]
        if self.state.transport is Transport.AUTH_FAILED and self.token_missing:
            text = f"no saved token for {self.server}"
        else:
            text = transport_text(self.state, now, self.capabilities)
        self.label.setText(f'<span style="color:{colour}">●</span> <b>{self.server}</b>: {text}')
        self.label.setToolTip(self.state.detail or TRANSPORT_TEXT[self.state.transport])


class JobStatusBar(QStatusBar):
    """Servers on the right, counts per state on the left; countdowns tick each second."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = QLabel()
        self.addWidget(self.counts)
        self.order = QLabel("order paused")
        self.order.setToolTip(
            "Rows keep their places while the pointer is over the table or a menu is open"
        )
        self.order.hide()
        self.addWidget(self.order)
        self.servers: dict[str, ServerStatus] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)
        self._tick.start()

    def server(self, name: str) -> ServerStatus:
        if name not in self.servers:
            widget = ServerStatus(name, self)
            self.servers[name] = widget
            self.addPermanentWidget(widget)
        return self.servers[name]

    def remove_server(self, name: str) -> None:
        widget = self.servers.pop(name, None)
        if widget is not None:
            self.removeWidget(widget)
            widget.deleteLater()

    def set_counts(self, counts: dict[str, int]) -> None:
        self.counts.setText("   ".join(f"{n} {state}" for state, n in counts.items() if n))

    def set_order_held(self, held: bool) -> None:
        """Say "order paused" while the table's order is held (``gui/order_hold.py``)."""
        self.order.setVisible(held)

    def _refresh(self) -> None:
        now = time.time()
        for widget in self.servers.values():
            widget.refresh(now)
