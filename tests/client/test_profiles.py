"""Saved servers: URLs in the config file, tokens in the keyring or, failing that, memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import NoKeyringError

from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise NoKeyringError("no backend")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NoKeyringError("no backend")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_tokens_go_to_the_keyring_never_the_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = ProfileStore(tmp_path)
    store.save([ServerProfile("prod", "http://jobs.example:8765", "jd_secret")])
    assert "jd_secret" not in store.path.read_text()
    assert json.loads(store.path.read_text()) == {
        "servers": [{"name": "prod", "url": "http://jobs.example:8765"}]
    }
    assert memory_keyring.secrets == {("jobdesk", "prod"): "jd_secret"}
    assert ProfileStore(tmp_path).load() == [
        ServerProfile("prod", "http://jobs.example:8765", "jd_secret")
    ]


def test_without_a_keyring_tokens_live_in_memory(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        store = ProfileStore(tmp_path)
        store.save([ServerProfile("local", "http://127.0.0.1:8765", "jd_t")])
        assert not store.keyring_works
        assert store.load() == [ServerProfile("local", "http://127.0.0.1:8765", "jd_t")]
        assert ProfileStore(tmp_path).load()[0].token == ""  # a new session must ask again
    finally:
        keyring.set_keyring(previous)


@pytest.mark.parametrize(
    ("profiles", "message"),
    [
        ([ServerProfile(" ", "http://a", "t")], "every server needs a name"),
        ([ServerProfile("a", "http://a", ""), ServerProfile("a", "http://b", "")], "unique"),
        ([ServerProfile("a", "ftp://a", "")], "is not an http"),
    ],
)
def test_bad_profiles_are_refused_and_nothing_is_written(
    tmp_path: Path, memory_keyring: MemoryKeyring, profiles: list[ServerProfile], message: str
) -> None:
    store = ProfileStore(tmp_path)
    with pytest.raises(ValueError, match=message):
        store.save(profiles)
    assert not store.path.exists()


def test_a_corrupt_file_is_reported_not_lost(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read"):
        store.servers()
    assert store.path.read_text() == "{not json"


def test_a_backend_kind_and_its_options_are_saved(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    """Old files (no kind) read as jobdesk servers; the default kind is not written."""
    store = ProfileStore(tmp_path)
    store.path.write_text(json.dumps({"servers": [{"name": "old", "url": "http://a:1"}]}))
    (old,) = store.load()
    assert (old.kind, old.options) == ("jobdesk", {})
    store.save([old])
    saved = json.loads(store.path.read_text())
    assert saved == {"servers": [{"name": "old", "url": "http://a:1"}]}


def test_unknown_backends_and_options_are_refused(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = ProfileStore(tmp_path)
    with pytest.raises(ValueError, match="unknown backend 'gearman'"):
        store.save([ServerProfile("g", "http://a:1", "", kind="gearman")])
    with pytest.raises(ValueError, match="jobdesk has no option listUrl"):
        store.save([ServerProfile("j", "http://a:1", "", options={"listUrl": "/x"})])
    assert not store.path.exists()


def test_the_keyring_probe_tells_a_first_start_whether_tokens_can_be_kept(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    assert ProfileStore(tmp_path).probe_keyring()
    assert memory_keyring.secrets == {}  # asked, nothing written
    keyring.set_keyring(BrokenKeyring())
    store = ProfileStore(tmp_path)
    assert not store.probe_keyring()
    assert not store.keyring_works  # the servers dialog warns from the start
