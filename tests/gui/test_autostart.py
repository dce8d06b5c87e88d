"""The autostart entry as a file: where it goes, what it says, and that a real desktop
launcher (GLib's, which GNOME's session uses) runs exactly the command it names."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from jobdesk import APP_ID
from jobdesk.gui.autostart import Autostart, autostart_dir, desktop_entry, monitor_command
from tests.polling import wait_for
from tests.system_packages import may_install, require


@pytest.fixture
def config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def validate(path: Path) -> None:
    """desktop-file-validate, the freedesktop.org reference checker of .desktop files."""
    require({"desktop-file-validate": "desktop-file-utils"})
    done = subprocess.run(
        ["desktop-file-validate", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stdout.strip(), done.stdout  # no hints or warnings either


def test_the_folder_follows_xdg_config_home(tmp_path: Path) -> None:
    assert autostart_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "autostart"
    default = Path.home() / ".config" / "autostart"
    assert autostart_dir({}) == default
    assert autostart_dir({"XDG_CONFIG_HOME": ""}) == default
    assert autostart_dir({"XDG_CONFIG_HOME": "relative/dir"}) == default  # spec: ignore it


@may_install
def test_enable_writes_a_valid_entry_and_disable_removes_it(config_home: Path) -> None:
    entry = Autostart()
    assert entry.path == config_home / "autostart" / f"{APP_ID}.desktop"
    assert not entry.enabled()
    entry.enable()
    assert entry.enabled()
    validate(entry.path)
    text = entry.path.read_text(encoding="utf-8")
    for line in (
        "[Desktop Entry]",
        "Type=Application",
        "Name=jobdesk",
        f"Icon={APP_ID}",
        "X-GNOME-Autostart-enabled=true",
    ):
        assert line in text.splitlines()
    assert "Comment=" in text
    assert stat.S_IMODE(entry.path.stat().st_mode) == 0o644
    assert os.listdir(entry.path.parent) == [entry.path.name]  # no temporary left behind
    entry.enable()  # again: replaced, still one file
    assert os.listdir(entry.path.parent) == [entry.path.name]
    entry.disable()
    assert not entry.path.exists()
    entry.disable()  # already gone: fine


def test_an_entry_switched_off_by_the_desktop_reads_as_off(config_home: Path) -> None:
    entry = Autostart()
    entry.enable()
    text = entry.path.read_text(encoding="utf-8")
    entry.path.write_text(text.replace("Autostart-enabled=true", "Autostart-enabled=false"))
    assert not entry.enabled()
    entry.path.write_text(text + "Hidden=true\n")
    assert not entry.enabled()
    entry.path.write_text(text + "[Desktop Action x]\nHidden=true\n")  # another group's key
    assert entry.enabled()


def test_the_command_starts_this_installation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # from a source checkout or a virtual environment: its own console script
    script = Path(sys.executable).parent / "jobdesk"
    assert script.exists(), "uv run installs the jobdesk script next to the interpreter"
    assert monitor_command() == [str(script), "monitor"]
    # an interpreter without the script: the module, with that interpreter
    bare = tmp_path / "bin" / "python3"
    bare.parent.mkdir()
    bare.symlink_to(sys.executable)
    monkeypatch.setattr(sys, "executable", str(bare))
    assert monitor_command() == [str(bare), "-m", "jobdesk", "monitor"]


def test_a_bundle_keeps_the_link_it_was_started_by(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "lib" / "jobdesk" / "jobdesk"
    bundle.parent.mkdir(parents=True)
    bundle.write_text("#!/bin/sh\n")
    bundle.chmod(0o755)
    link = tmp_path / "bin" / "jobdesk"
    link.parent.mkdir()
    link.symlink_to(bundle)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle))
    monkeypatch.setenv("PATH", str(link.parent))
    monkeypatch.setattr(sys, "argv", ["jobdesk"])  # started by name, through PATH
    assert monitor_command() == [str(link), "monitor"]
    monkeypatch.setattr(sys, "argv", [str(bundle)])  # started by the bundle's own path
    assert monitor_command() == [str(link), "monitor"]
    monkeypatch.setenv("PATH", "")
    assert monitor_command() == [str(bundle), "monitor"]


@may_install
@pytest.mark.parametrize(
    "argument",
    ["plain", "with space", 'quote " and \\ backslash', "dollar $HOME `tick`", "50%", "%f", ""],
)
def test_exec_quoting_survives_a_real_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argument: str
) -> None:
    """``gio launch`` parses Exec as gnome-session does."""
    require({"gio": "libglib2.0-bin"})
    folder = tmp_path / "odd $dir (x)"
    folder.mkdir()
    recorder = folder / "record args"
    out = tmp_path / "argv.json"
    recorder.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"open({str(out)!r} + '.tmp', 'w').write(json.dumps(sys.argv[1:]))\n"
        f"os.replace({str(out)!r} + '.tmp', {str(out)!r})\n"
    )
    recorder.chmod(0o755)
    entry = Autostart(tmp_path / "entry.desktop", command=[str(recorder), argument, "last"])
    entry.enable()
    validate(entry.path)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    subprocess.run(["gio", "launch", str(entry.path)], check=True, timeout=30)
    wait_for(out.exists)
    assert json.loads(out.read_text()) == [argument, "last"]


def test_unusual_paths_are_escaped_as_string_values() -> None:
    text = desktop_entry(["/opt/a\\b/jobdesk", "monitor"])
    assert "TryExec=/opt/a\\\\b/jobdesk" in text.splitlines()
    assert 'Exec="/opt/a\\\\\\\\b/jobdesk" monitor' in text.splitlines()


def test_a_failed_write_leaves_no_temporary(
    config_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = Autostart()

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        entry.enable()
    assert os.listdir(entry.path.parent) == []
