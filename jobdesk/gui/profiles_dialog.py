"""The servers dialog: name, URL and token for each server the monitor watches."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore


class ProfilesDialog(QDialog):
    """Non-modal (``open()``): a modal exec() inside the qasync loop would block it."""

    saved = Signal(list)
    """The new list of ServerProfile, once written."""

    def __init__(
        self, store: ProfileStore, profiles: list[ServerProfile], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Servers")
        self.resize(720, 320)
        self._store = store
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "URL", "Token"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self._tokens: list[QLineEdit] = []
        for profile in profiles:
            self.add_row(profile)
        if not profiles:
            self.add_row(ServerProfile("local", "http://127.0.0.1:8765", ""))
        add = QPushButton("Add")
        add.clicked.connect(lambda: self.add_row(ServerProfile("", "http://", "")))
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.error = QLabel()
        self.error.setStyleSheet("color: #d03c3c")
        self.error.setWordWrap(True)
        self.keyring_note = QLabel(
            "No system keyring works here: tokens are kept for this session only."
        )
        self.keyring_note.setVisible(not store.keyring_works)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def add_row(self, profile: ServerProfile) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(profile.name))
        self.table.setItem(row, 1, QTableWidgetItem(profile.url))
        token = QLineEdit(profile.token)
        token.setEchoMode(QLineEdit.EchoMode.Password)
        token.setPlaceholderText("jd_… (jobdesk token create)")
        self.table.setCellWidget(row, 2, token)
        self._tokens.insert(row, token)

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
            del self._tokens[row]

    def profiles(self) -> list[ServerProfile]:
        result = []
        for row in range(self.table.rowCount()):
            name, url = (self.table.item(row, c) for c in (0, 1))
            result.append(
                ServerProfile(
                    name.text().strip() if name else "",
                    url.text().strip() if url else "",
                    self._tokens[row].text().strip(),
                )
            )
        return result

    def _save(self) -> None:
        profiles = self.profiles()
        try:
            self._store.save(profiles)
        except (ValueError, OSError) as exc:
            self.error.setText(str(exc))
            return
        self.keyring_note.setVisible(not self._store.keyring_works)
        self.saved.emit(profiles)
        self.accept()
