"""The installers: build the .deb, install it with dpkg, run what it installed.

One build per session: ``packaging/build_deb.py --reuse`` keeps the last .deb in
build/deb/ when none of its inputs changed (jobdesk/, packaging/, resources/,
pyproject.toml, uv.lock), so only the first run after a change pays for the build (about
80 s on 2 cores; not niced: beside two busy cores a niced build got a twentieth of the
machine and ran past its time limit); with the .deb kept, this file takes about 15 s.
The build tools (``build_deb.py --missing-apt-packages``), the .deb's Depends and
makensis are installed by tests/system_packages.py when missing. Installing the .deb
needs root (CI is root; elsewhere ``sudo -n``). The package is removed again at the end.

Every packaging test lives in this file, so ``--dist loadfile`` runs them on one worker
and builds once.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobdesk import APP_ID, __version__
from tests.system_packages import require

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "deb"
PACKAGE = "jobdesk"
OPT = Path("/opt/jobdesk")
LAUNCHER = Path("/usr/bin/jobdesk")
SHARE = Path("/usr/share")
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TARGET_DEB_BYTES = 60_000_000
# Debian packages Qt's xcb platform plugin needs: the .deb must depend on them, not bundle them
QT_XCB_DEPENDS = (
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libx11-xcb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libegl1",
    "libgl1",
)
HOST_LIBRARIES = ("libxcb", "libX11", "libGL", "libEGL", "libfontconfig", "libfreetype", "libglib")

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="session")
def deb() -> Path:
    """The .deb, built (or kept, when nothing changed) by packaging/build_deb.py."""
    script = str(ROOT / "packaging" / "build_deb.py")
    require(packages=run([sys.executable, script, "--missing-apt-packages"]).stdout.split())
    command = [sys.executable, script, "--reuse", "--out", str(BUILD)]
    result = run(command, check=False, timeout=1100)  # a bound on a hang, not a pace
    if result.returncode != 0:
        pytest.fail(f"build_deb.py failed:\n{tail(result.stdout + result.stderr)}")
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file(), result.stdout
    return path


@pytest.fixture(scope="session")
def installed(deb: Path) -> Iterator[Path]:
    """The .deb installed with dpkg -i, its Depends first; removed with dpkg -r after."""
    # dpkg's state is the machine's: one test session at a time installs and removes
    lock_path = Path(tempfile.gettempdir()) / "jobdesk-deb-test.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        install_depends(deb)
        dpkg("-i", str(deb))
        try:
            yield deb
        finally:
            dpkg("-r", PACKAGE)
        assert not OPT.exists(), "dpkg -r left /opt/jobdesk behind"
        assert not LAUNCHER.exists(), "dpkg -r left /usr/bin/jobdesk behind"


# -- the package --------------------------------------------------------------------------


def test_deb_fields_and_size(deb: Path) -> None:
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert deb.name == f"{PACKAGE}_{__version__}_{arch}.deb"
    assert field(deb, "Package") == PACKAGE
    assert field(deb, "Version") == __version__
    assert field(deb, "Architecture") == arch
    depends = [group.strip() for group in field(deb, "Depends").split(",")]
    names = {alt.split("(")[0].strip() for group in depends for alt in group.split("|")}
    assert set(QT_XCB_DEPENDS) <= names, sorted(set(QT_XCB_DEPENDS) - names)
    assert any(group.startswith("libc6 (>= 2.") for group in depends), depends
    assert deb.stat().st_size < TARGET_DEB_BYTES, f"{deb.stat().st_size / 1e6:.1f} MB"


def test_deb_bundles_qt_but_not_the_hosts_libraries(deb: Path) -> None:
    paths = [line.split()[-1] for line in run(["dpkg-deb", "-c", str(deb)]).stdout.splitlines()]
    names = {Path(path).name for path in paths}
    plugins = "./opt/jobdesk/_internal/PySide6/Qt/plugins/"
    assert f"{plugins}platforms/libqxcb.so" in paths
    assert f"{plugins}platforms/libqoffscreen.so" in paths
    assert f"{plugins}iconengines/libqsvgicon.so" in paths
    assert "libQt6Widgets.so.6" in names
    assert "libQt6Network.so.6" in names  # the single-instance socket
    host = sorted(name for name in names if name.startswith(HOST_LIBRARIES))
    assert not host, f"host libraries bundled: {host}"
    unused = sorted(n for n in names if n.startswith(("libQt6Quick", "libQt6Qml", "libQt6Wayland")))
    assert not unused, unused
    assert not [path for path in paths if "/Qt/qml/" in path or "/Qt/translations/" in path]


# -- installed with dpkg -------------------------------------------------------------------


def test_installed_version(installed: Path) -> None:
    result = run([str(LAUNCHER), "--version"], env=clean_env())
    assert result.stdout.strip() == f"jobdesk {__version__}"


def test_installed_self_test(installed: Path, tmp_path: Path) -> None:
    result = run([str(LAUNCHER), "--self-test"], env=clean_env(tmp_path), check=False)
    assert result.returncode == 0, tail(result.stdout + result.stderr)
    assert result.stdout.startswith("jobdesk self-test: ok"), result.stdout


def test_installed_commands(installed: Path, tmp_path: Path) -> None:
    """The server and the terminal view from the frozen bundle (uvicorn, litestar, rich)."""
    env = clean_env(tmp_path)
    assert "--db" in run([str(LAUNCHER), "serve", "--help"], env=env).stdout
    demo = run([str(LAUNCHER), "demo", "--terminal", "--duration", "3"], env=env, check=False)
    assert demo.returncode == 0, tail(demo.stdout + demo.stderr)
    assert "demo stopped after" in demo.stderr + demo.stdout


def test_installed_files(installed: Path) -> None:
    assert LAUNCHER.is_symlink()
    assert LAUNCHER.resolve() == OPT / PACKAGE
    assert os.access(OPT / PACKAGE, os.X_OK)
    desktop = SHARE / "applications" / f"{APP_ID}.desktop"
    metainfo = SHARE / "metainfo" / f"{APP_ID}.metainfo.xml"
    run(["desktop-file-validate", str(desktop)])
    run(["appstreamcli", "validate", "--no-net", str(metainfo)])
    entry = desktop.read_text()
    assert "\nExec=jobdesk\n" in entry
    assert f"\nIcon={APP_ID}\n" in entry
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in metainfo.read_text()
    hicolor = SHARE / "icons" / "hicolor"
    for size in ICON_SIZES:
        assert png_size(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == (size, size)
    svg = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_bytes() == (ROOT / "resources" / f"{APP_ID}.svg").read_bytes()
    owned = set(run(["dpkg", "-L", PACKAGE]).stdout.splitlines())
    assert {str(desktop), str(metainfo), str(svg), str(LAUNCHER)} <= owned


def test_installed_libraries_all_resolve(installed: Path) -> None:
    """With the Depends installed, ldd finds every library of the Qt parts and plugins."""
    internal = OPT / "_internal"
    qt = internal / "PySide6" / "Qt"
    binaries = [*sorted((qt / "plugins").rglob("*.so")), *sorted((qt / "lib").glob("*.so*"))]
    assert binaries
    env = {**clean_env(), "LD_LIBRARY_PATH": str(internal)}
    output = run(["ldd", *map(str, binaries)], env=env).stdout
    assert "not found" not in output, [line for line in output.splitlines() if "not found" in line]


# -- Windows -------------------------------------------------------------------------------


def test_windows_installer_script_compiles(tmp_path: Path) -> None:
    """makensis -WX (warnings are errors) on the NSIS script, fed a stub of the bundle."""
    require({"makensis": "nsis"})
    dist = tmp_path / "jobdesk"
    (dist / "_internal").mkdir(parents=True)
    for name in ("jobdesk.exe", "jobdeskw.exe", "_internal/base_library.zip"):
        (dist / name).write_bytes(b"stub")
    icon = tmp_path / "jobdesk.ico"
    run([sys.executable, str(ROOT / "packaging" / "icons.py"), "ico", str(icon)])
    setup = tmp_path / f"jobdesk-{__version__}-setup.exe"
    run(
        [
            "makensis",
            "-WX",
            "-V2",
            f"-DVERSION={__version__}",
            f"-DDIST={dist}",
            f"-DICON={icon}",
            f"-DOUTFILE={setup}",
            str(ROOT / "packaging" / "windows" / "jobdesk.nsi"),
        ]
    )
    assert setup.read_bytes()[:2] == b"MZ"


# -- helpers -------------------------------------------------------------------------------


def field(deb: Path, name: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), name]).stdout.strip()


def install_depends(deb: Path) -> None:
    """Install the .deb's Depends not installed yet (versions are apt's to check)."""
    groups = field(deb, "Depends").split(",")
    require(packages=[re.sub(r"\([^)]*\)", "", group).strip() for group in groups])


def dpkg(*args: str) -> None:
    result = as_root(["dpkg", *args], check=False)
    if result.returncode != 0:
        pytest.fail(f"dpkg {' '.join(args)} failed:\n{tail(result.stdout + result.stderr)}")


def as_root(command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return run([*prefix, *command], env=env, check=check, timeout=600)


def clean_env(home: Path | None = None) -> dict[str, str]:
    """What a desktop session gives a program: none of the test run's venv or Qt settings."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home or tempfile.gettempdir()),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    if home is not None:
        env["XDG_RUNTIME_DIR"] = env["TMPDIR"] = str(home)
    return env


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    assert header[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        pytest.fail(f"{shutil.which(command[0]) or command[0]} failed:\n{tail(result.stderr)}")
    return result


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
