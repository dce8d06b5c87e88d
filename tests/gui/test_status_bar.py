"""The status bar: transport per server with a countdown, the token button, counts."""

from __future__ import annotations

import re
import time

from pytestqt.qtbot import QtBot

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.gui.status_bar import JobStatusBar, transport_text


def test_a_backend_says_how_its_data_arrives() -> None:
    no_replay = Capabilities(Can.PUSH | Can.LIST)
    polled = Capabilities(Can.LIST)
    live, polling = ConnectionState(Transport.LIVE), ConnectionState(Transport.POLLING)
    assert transport_text(live, 0.0, no_replay) == "live, no replay"
    assert transport_text(polling, 0.0, no_replay) == "polling fallback"
    assert transport_text(polling, 0.0, polled) == "polled"


def test_transport_text_counts_down() -> None:
    state = ConnectionState(Transport.POLLING, next_retry_at=107.4)
    assert transport_text(state, 100.0) == "polling fallback · retry in 7 s"
    assert transport_text(ConnectionState(Transport.LIVE), 100.0) == "live push"
    offline = ConnectionState(Transport.OFFLINE, 99.0)
    assert transport_text(offline, 100.0) == "unreachable · retry in 0 s"


def test_auth_failed_offers_a_new_token(qtbot: QtBot) -> None:
    bar = JobStatusBar()
    qtbot.addWidget(bar)
    server = bar.server("prod")
    assert bar.server("prod") is server
    server.set_state(ConnectionState(Transport.LIVE))
    assert server.button.isHidden()
    assert "live push" in server.label.text()
    server.set_state(ConnectionState(Transport.AUTH_FAILED, detail="Invalid or expired token"))
    assert not server.button.isHidden()
    assert server.label.toolTip() == "Invalid or expired token"
    with qtbot.waitSignal(server.token_requested) as asked:
        server.button.click()
    assert asked.args == ["prod"]


def test_counts_and_the_ticking_countdown(qtbot: QtBot) -> None:
    bar = JobStatusBar()
    qtbot.addWidget(bar)
    bar.set_counts({"running": 3, "queued": 0, "failed": 1})
    assert bar.counts.text() == "3 running   1 failed"
    server = bar.server("local")
    server.set_state(ConnectionState(Transport.OFFLINE, next_retry_at=time.time() + 30.2))
    shown = retry_in(server.label.text())
    assert 25 <= shown <= 30
    # a later tick shows less by itself, however late a busy machine runs it
    qtbot.waitUntil(lambda: retry_in(server.label.text()) < shown, timeout=20_000)
    bar.remove_server("local")
    assert "local" not in bar.servers


def retry_in(text: str) -> int:
    """The seconds of ``retry in N s`` in a server's label."""
    found = re.search(r"retry in (\d+) s", text)
    assert found, text
    return int(found[1])


def test_an_unreachable_server_says_how_old_its_data_is() -> None:
    state = ConnectionState(Transport.OFFLINE, None, "not answering", heard_at=70.0)
    assert transport_text(state, 100.0) == "unreachable · data 30 s old"
    live = ConnectionState(Transport.LIVE, heard_at=70.0)
    assert transport_text(live, 100.0) == "live push"  # current: no age to tell


def test_a_refusal_without_a_saved_token_says_so(qtbot: QtBot) -> None:
    bar = JobStatusBar()
    qtbot.addWidget(bar)
    server = bar.server("prod")
    server.set_token_missing(True)  # no keyring kept it: a later start has none
    server.set_state(ConnectionState(Transport.AUTH_FAILED, detail="Missing token"))
    assert "no saved token for prod" in server.label.text()
    assert "auth failed" not in server.label.text()
    assert not server.button.isHidden()
    server.set_token_missing(False)
    assert "auth failed" in server.label.text()


def test_order_paused_shows_while_held(qtbot: QtBot) -> None:
    bar = JobStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.order.isVisible()
    bar.set_order_held(True)
    assert bar.order.isVisible()
    assert bar.order.text() == "order paused"
    bar.set_order_held(False)
    assert not bar.order.isVisible()


def test_with_replicas_the_one_in_use_is_named() -> None:
    via = "10.0.0.2:8765"
    live = ConnectionState(Transport.LIVE, via=via)
    assert transport_text(live, 0.0) == "live push via 10.0.0.2:8765"
    assert live.describe(0.0) == "live via 10.0.0.2:8765"
    polling = ConnectionState(Transport.POLLING, next_retry_at=7.0, via=via)
    assert transport_text(polling, 0.0) == "polling fallback via 10.0.0.2:8765 · retry in 7 s"
    left = "10.0.0.1:8765 failed (closed (1012))"
    connecting = ConnectionState(Transport.CONNECTING, detail=left, via=via)
    assert transport_text(connecting, 0.0) == "connecting to 10.0.0.2:8765…"
    assert connecting.describe(0.0) == f"connecting to 10.0.0.2:8765: {left}"
    # unreachable is said of the whole cluster: no replica is named
    offline = ConnectionState(Transport.OFFLINE, next_retry_at=7.0, via=via)
    assert transport_text(offline, 0.0) == "unreachable · retry in 7 s"
    assert transport_text(ConnectionState(Transport.LIVE), 0.0) == "live push"
