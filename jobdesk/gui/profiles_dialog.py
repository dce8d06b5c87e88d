"""The servers dialog: name, kind, URL and token for each server the monitor watches,
and below the table the settings of the selected server's kind (only the ones it has)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jobdesk.client.kinds import DEFAULT_KIND, KINDS, kind_of
from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore

NAME, KIND, URL, TOKEN = range(4)


class ProfilesDialog(QDialog):
    """Non-modal (``open()``): a modal exec() inside the qasync loop would block it."""

    saved = Signal(list)
    """The new list of ServerProfile, once written."""

    def __init__(
        self, store: ProfileStore, profiles: list[ServerProfile], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Servers")
        self.resize(820, 420)
        self._store = store
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Name", "Kind", "URL", "Token"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(KIND, 170)
        self.table.setColumnWidth(URL, 260)
        self._tokens: list[QLineEdit] = []
        self._kinds: list[QComboBox] = []
        self._options: list[dict[str, str]] = []
        self.settings = QGroupBox()
        self._form = QFormLayout(self.settings)
        for profile in profiles:
            self.add_row(profile)
        if not profiles:
            self.add_row(ServerProfile("local", "http://127.0.0.1:8765", ""))
        self.table.currentCellChanged.connect(lambda row, *_: self._show_settings(row))
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
        layout.addWidget(self.settings)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.table.setCurrentCell(0, NAME)
        self._show_settings(0)

    def add_row(self, profile: ServerProfile) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, NAME, QTableWidgetItem(profile.name))
        self.table.setItem(row, URL, QTableWidgetItem(profile.url))
        kinds = QComboBox()
        for kind in KINDS.values():
            kinds.addItem(kind.title, kind.name)
        kinds.setCurrentIndex(max(0, kinds.findData(profile.kind)))
        kinds.currentIndexChanged.connect(lambda _: self._kind_changed(kinds))
        self.table.setCellWidget(row, KIND, kinds)
        token = QLineEdit(profile.token)
        token.setEchoMode(QLineEdit.EchoMode.Password)
        self.table.setCellWidget(row, TOKEN, token)
        self._kinds.insert(row, kinds)
        self._tokens.insert(row, token)
        self._options.insert(row, dict(profile.options))
        self._fit_token(row)

    def _kind_changed(self, combo: QComboBox) -> None:
        row = self._kinds.index(combo)
        self._options[row] = {}  # another kind's settings mean nothing to this one
        self._fit_token(row)
        self.table.setCurrentCell(row, KIND)
        self._show_settings(row)

    def _fit_token(self, row: int) -> None:
        kind = kind_of(self._kind(row))
        token = self._tokens[row]
        token.setEnabled(kind.needs_token)
        token.setPlaceholderText(
            "jd_… (jobdesk token create)"
            if kind.name == DEFAULT_KIND
            else ("bearer token or API key" if kind.needs_token else "not needed")
        )

    def _show_settings(self, row: int) -> None:
        """The selected server's kind-specific settings, each with its default shown."""
        while self._form.rowCount():
            self._form.removeRow(0)
        if not 0 <= row < len(self._kinds):
            self.settings.setVisible(False)
            return
        kind = kind_of(self._kind(row))
        self.settings.setTitle(f"{kind.title} settings")
        self.settings.setVisible(bool(kind.fields or kind.notes))
        lacks = kind.capabilities.lacks()
        for text in (kind.notes, f"It cannot {', '.join(lacks)}." if lacks else ""):
            if text:
                note = QLabel(text)
                note.setWordWrap(True)
                self._form.addRow(note)
        options = self._options[row]
        for field in kind.fields:
            edit = QLineEdit(options.get(field.key, ""))
            edit.setObjectName(f"option-{field.key}")
            edit.setPlaceholderText(field.default)
            edit.setToolTip(field.help)
            edit.textChanged.connect(
                lambda text, key=field.key: self._set_option(row, key, text.strip())
            )
            self._form.addRow(field.label, edit)

    def _set_option(self, row: int, key: str, value: str) -> None:
        if value:
            self._options[row][key] = value
        else:
            self._options[row].pop(key, None)  # empty: the default

    def _kind(self, row: int) -> str:
        return str(self._kinds[row].currentData())

    def _remove_selected(self) -> None:
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)
            del self._tokens[row]
            del self._kinds[row]
            del self._options[row]
        self._show_settings(self.table.currentRow())

    def profiles(self) -> list[ServerProfile]:
        result = []
        for row in range(self.table.rowCount()):
            name, url = (self.table.item(row, c) for c in (NAME, URL))
            token = self._tokens[row]
            result.append(
                ServerProfile(
                    name.text().strip() if name else "",
                    url.text().strip() if url else "",
                    token.text().strip() if token.isEnabled() else "",
                    self._kind(row),
                    dict(self._options[row]),
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
