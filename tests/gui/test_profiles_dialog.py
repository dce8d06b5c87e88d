"""The servers dialog: edits, validation shown in the dialog, tokens never in the file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.kinds import DEFAULT_KIND, KINDS, Field, Kind
from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore
from jobdesk.gui.profiles_dialog import ProfilesDialog
from tests.client.test_profiles import BrokenKeyring, MemoryKeyring


def save_button(dialog: ProfilesDialog) -> QDialogButtonBox:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    return box


def test_first_start_offers_a_local_server_and_saves(qtbot: QtBot, tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        store = ProfileStore(tmp_path)
        dialog = ProfilesDialog(store, [])
        qtbot.addWidget(dialog)
        assert dialog.profiles() == [ServerProfile("local", "http://127.0.0.1:8765", "")]
        token = dialog.table.cellWidget(0, 3)
        assert isinstance(token, QLineEdit)
        assert token.echoMode() is QLineEdit.EchoMode.Password
        token.setText("jd_x")
        with qtbot.waitSignal(dialog.saved) as saved:
            button = save_button(dialog).button(QDialogButtonBox.StandardButton.Save)
            assert button is not None
            button.click()
        assert saved.args == [[ServerProfile("local", "http://127.0.0.1:8765", "jd_x")]]
        assert "jd_x" not in store.path.read_text()
        assert dialog.keyring_note.isVisibleTo(dialog)  # said: kept for this session only
    finally:
        keyring.set_keyring(previous)


def test_a_bad_url_is_shown_and_nothing_saved(qtbot: QtBot, tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    dialog = ProfilesDialog(store, [ServerProfile("a", "ftp://nowhere", "t")])
    qtbot.addWidget(dialog)
    with qtbot.assertNotEmitted(dialog.saved):
        button = save_button(dialog).button(QDialogButtonBox.StandardButton.Save)
        assert button is not None
        button.click()
    assert "is not an http(s) or ws(s) URL" in dialog.error.text()
    assert not store.path.exists()


def test_a_kind_shows_only_its_own_settings_and_saves_them(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind's fields appear under the table for the selected row; defaults are
    placeholders, only what the operator typed is saved; another kind starts empty."""
    listing = Kind(
        "listing",
        "A listing backend",
        Capabilities(Can.LIST),
        KINDS[DEFAULT_KIND].make,
        (Field("listUrl", "List URL", "/api/list"),),
        needs_token=False,
    )
    monkeypatch.setitem(KINDS, "listing", listing)
    store = ProfileStore(tmp_path)
    dialog = ProfilesDialog(store, [ServerProfile("a", "http://a:1", "jd_a")])
    qtbot.addWidget(dialog)
    assert dialog.findChild(QLineEdit, "option-listUrl") is None  # jobdesk has none
    kinds = dialog.table.cellWidget(0, 1)
    assert isinstance(kinds, QComboBox)
    kinds.setCurrentIndex(kinds.findData("listing"))
    edit = dialog.findChild(QLineEdit, "option-listUrl")
    assert isinstance(edit, QLineEdit)
    assert edit.placeholderText() == "/api/list"
    edit.setText("/jobs")
    token = dialog.table.cellWidget(0, 3)
    assert isinstance(token, QLineEdit)
    assert not token.isEnabled()
    expected = ServerProfile("a", "http://a:1", "", "listing", {"listUrl": "/jobs"})
    assert dialog.profiles() == [expected]


def test_a_job_dashboard_profile_and_a_bad_progress_scale(qtbot: QtBot, tmp_path: Path) -> None:
    """Seed 003's kind shows its two settings; a scale that is no number is refused."""
    store = ProfileStore(tmp_path)
    dialog = ProfilesDialog(store, [ServerProfile("d", "http://d:1", "jd_d")])
    qtbot.addWidget(dialog)
    kinds = dialog.table.cellWidget(0, 1)
    assert isinstance(kinds, QComboBox)
    kinds.setCurrentIndex(kinds.findData("job-dashboard-ws"))
    listing = dialog.findChild(QLineEdit, "option-listUrl")
    scale = dialog.findChild(QLineEdit, "option-progressScale")
    assert isinstance(listing, QLineEdit)
    assert isinstance(scale, QLineEdit)
    assert listing.placeholderText() == "/api/admin/jobs?includePast=true"
    assert scale.placeholderText() == "100"
    said = [label.text() for label in dialog.settings.findChildren(QLabel)]
    assert any(text.startswith("It cannot resume after a reconnect, submit jobs") for text in said)
    scale.setText("percent")
    with qtbot.assertNotEmitted(dialog.saved):
        button = save_button(dialog).button(QDialogButtonBox.StandardButton.Save)
        assert button is not None
        button.click()
    assert "progressScale must be a number" in dialog.error.text()
    assert not store.path.exists()


def test_without_a_keyring_the_dialog_warns_before_a_token_is_typed(
    qtbot: QtBot, tmp_path: Path
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        store = ProfileStore(tmp_path)
        store.probe_keyring()  # the monitor asks off the GUI thread on a first start
        dialog = ProfilesDialog(store, [])
        qtbot.addWidget(dialog)
        assert dialog.keyring_note.isVisibleTo(dialog)
        assert "this session only" in dialog.keyring_note.text()
    finally:
        keyring.set_keyring(previous)


def test_a_jobdesk_server_takes_its_replicas_checked_as_urls(qtbot: QtBot, tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        store = ProfileStore(tmp_path)
        dialog = ProfilesDialog(store, [ServerProfile("prod", "http://10.0.0.1:8765", "jd_p")])
        qtbot.addWidget(dialog)
        replicas = dialog.findChild(QLineEdit, "option-replicas")
        assert isinstance(replicas, QLineEdit)
        assert "same cluster" in replicas.toolTip()
        button = save_button(dialog).button(QDialogButtonBox.StandardButton.Save)
        assert button is not None
        replicas.setText("http://10.0.0.2:8765, 10.0.0.3:8765")
        with qtbot.assertNotEmitted(dialog.saved):
            button.click()
        assert "replicas: '10.0.0.3:8765' is not an http(s) or ws(s) URL" in dialog.error.text()
        replicas.setText("http://10.0.0.2:8765, http://10.0.0.3:8765")
        with qtbot.waitSignal(dialog.saved):
            button.click()
        (saved,) = store.load()
        assert saved.options == {"replicas": "http://10.0.0.2:8765, http://10.0.0.3:8765"}
    finally:
        keyring.set_keyring(previous)
