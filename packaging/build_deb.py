"""Build jobdesk's Linux installer: a PyInstaller bundle wrapped into a .deb.

    uv run python packaging/build_deb.py          # -> build/deb/jobdesk_<version>_<arch>.deb
    uv run python packaging/build_deb.py --reuse  # keep the last .deb if no input changed
    python3 packaging/build_deb.py --missing-apt-packages  # what this machine lacks

Steps, each failing the build when it does not hold:

1. validate the .desktop file and the AppStream metainfo (desktop-file-validate,
   appstreamcli validate --no-net);
2. make a clean environment of jobdesk's runtime dependencies and PyInstaller
   (``uv sync --no-default-groups --group installers``), so no dev tool is bundled;
3. run PyInstaller on packaging/jobdesk.spec (onedir; the host's system libraries left out);
4. run the bundle: ``jobdesk --version`` and ``jobdesk --self-test`` (offscreen);
5. check its libraries: every one the bundle needs is either in it or owned by a Debian
   package in :data:`DEPENDS` (``ldd``, ``readelf``, ``dpkg -S``), and none is missing;
6. lay out the package (/opt/jobdesk, /usr/bin/jobdesk, the .desktop file, metainfo, the
   hicolor icons rendered from resources/<APP_ID>.svg) and build it with dpkg-deb;
7. print the bundle's and the .deb's sizes.

Only the standard library is imported here: the Qt work (icons) runs in the build
environment's Python. See docs/packaging.md.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
DEFAULT_OUT = ROOT / "build" / "deb"

PACKAGE = "jobdesk"
APP_ID = "dev.jobdesk.Jobdesk"
INSTALL_DIR = Path("/opt/jobdesk")
MAINTAINER = "jobdesk developers <jobdesk@jobdesk.dev>"
TARGET_DEB_MB = 60

# The Debian packages the bundle's system libraries come from (Debian 12 names; "a | b"
# also accepts the name a later release renamed it to). Step 5 checks that every system
# library the bundle links is owned by one of these.
DEPENDS = [
    # Qt 6: the xcb platform plugin and the X11 libraries it links
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-glx0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libx11-6",
    "libx11-xcb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    # Qt 6: OpenGL dispatch, fonts, D-Bus (tray, portals, input methods), GLib event loop
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libglib2.0-0 | libglib2.0-0t64",
    # Qt 6 core and network: compression, Kerberos (QtNetwork links it)
    "libzstd1",
    "zlib1g",
    "libbrotli1",
    "libgssapi-krb5-2",
    # the C and C++ runtimes
    "libc6",
    "libgcc-s1",
    "libstdc++6",
    # Python's own extension modules (ssl, sqlite3, ctypes, bz2, lzma, uuid) when the
    # Python built against the system's libraries (pyenv, Debian); uv's links them in
    "libssl3 | libssl3t64",
    "libsqlite3-0",
    "libffi8",
    "libbz2-1.0",
    "liblzma5",
    "libuuid1",
]

# Commands the build runs, and the Debian package each comes from.
BUILD_TOOLS = {
    "dpkg-deb": "dpkg",
    "dpkg-query": "dpkg",
    "ldd": "libc-bin",
    "readelf": "binutils",
    "strip": "binutils",
    "desktop-file-validate": "desktop-file-utils",
    "appstreamcli": "appstream",
}

# What decides the build: a change to any of these makes --reuse build again.
INPUTS = ("jobdesk", "packaging", "resources", "pyproject.toml", "uv.lock")


class BuildError(Exception):
    """A step failed; the message says which and why."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last .deb if no input changed since"
    )
    parser.add_argument(
        "--missing-apt-packages",
        action="store_true",
        help="print the Debian packages this machine lacks to build the .deb, and exit",
    )
    args = parser.parse_args(argv)
    if args.missing_apt_packages:
        print(" ".join(missing_apt_packages()))
        return 0
    out = args.out.resolve()
    try:
        with exclusive(out / ".lock"):  # a second build of the same folder waits its turn
            deb = build(out, reuse=args.reuse)
    except BuildError as exc:
        print(f"build_deb: error: {exc}", file=sys.stderr, flush=True)
        return 1
    print(deb)
    return 0


def build(out: Path, *, reuse: bool = False) -> Path:
    """Build the .deb into ``out`` (or keep the one there); return its path."""
    version = project_version()
    arch = run(["dpkg", "--print-architecture"]).strip()
    deb = out / f"{PACKAGE}_{version}_{arch}.deb"
    bundle = out / "dist" / PACKAGE
    stamp = out / "inputs.sha256"
    fingerprint = inputs_fingerprint()
    if reuse and deb.is_file() and bundle.is_dir() and read(stamp) == fingerprint:
        say(f"inputs unchanged since the last build: keeping {deb.name}")
        report_sizes(bundle, deb)
        return deb
    stamp.unlink(missing_ok=True)
    check_tools(BUILD_TOOLS)
    validate_desktop_files()
    python = build_environment(out / "venv")
    pyinstaller(python, out, bundle)
    check_bundle(bundle, version)
    depends = check_libraries(bundle)
    root = stage(python, bundle, out / "root")
    write_control(root, version, arch, depends)
    deb.unlink(missing_ok=True)
    say("compressing the .deb (xz)")
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(deb)])
    shutil.rmtree(root)
    say(f"built {deb.relative_to(ROOT) if deb.is_relative_to(ROOT) else deb}")
    report_sizes(bundle, deb)
    stamp.write_text(fingerprint)
    return deb


# -- steps --------------------------------------------------------------------------------


def validate_desktop_files() -> None:
    say("validating the .desktop file and the AppStream metainfo")
    run(["desktop-file-validate", str(RESOURCES / f"{APP_ID}.desktop")])
    run(["appstreamcli", "validate", "--no-net", str(metainfo())])  # fails on warnings


def build_environment(venv: Path) -> Path:
    """A virtual environment of jobdesk's runtime dependencies plus PyInstaller."""
    say("syncing the build environment (runtime dependencies + PyInstaller)")
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        raise BuildError("uv is needed to make the build environment (https://docs.astral.sh/uv/)")
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    run(
        [uv, "sync", "--locked", "--quiet", "--no-default-groups", "--group", "installers"],
        env=env,
    )
    return venv / "bin" / "python"


def pyinstaller(python: Path, out: Path, bundle: Path) -> None:
    say("running PyInstaller (onedir)")
    shutil.rmtree(bundle, ignore_errors=True)
    run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={bundle.parent}",
            f"--workpath={out / 'pyinstaller'}",
            str(PACKAGING / "jobdesk.spec"),
        ]
    )


def check_bundle(bundle: Path, version: str) -> None:
    """The bundle starts, says its version, and passes its self-test offscreen."""
    say("running the bundle: --version, --self-test")
    exe = bundle / PACKAGE
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    said = run([str(exe), "--version"], env=env).strip()
    if said != f"jobdesk {version}":
        raise BuildError(f"{exe} --version said {said!r}, not 'jobdesk {version}'")
    result = run([str(exe), "--self-test"], env=env)
    if not result.startswith("jobdesk self-test: ok"):
        raise BuildError(f"the self-test did not pass: {result.strip()}")
    say(result.strip())


def check_libraries(bundle: Path) -> list[str]:
    """Every library the bundle links is in it or owned by a package in :data:`DEPENDS`.

    Returns the Depends list, with the lowest libc6 version the bundle's symbols allow.
    """
    say("checking the bundle's system libraries against Depends")
    elves = sorted(str(path) for path in elf_files(bundle))
    inside = {path.name for path in bundle.rglob("*")}
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    needed: set[str] = set()
    glibc = (2, 0)
    for _file, section in split_per_file(run(["readelf", "-d", "-V", "--wide", *elves])):
        needed.update(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", section))
        for major, minor in re.findall(r"GLIBC_(\d+)\.(\d+)", section):
            glibc = max(glibc, (int(major), int(minor)))
    resolved: dict[str, str] = {}
    missing: set[str] = set()
    for chunk in chunks(elves, 64):
        for line in run(["ldd", *chunk], env=env, check=False).splitlines():
            if match := re.match(r"\s+(\S+) => not found", line):
                missing.add(match[1])
            elif match := re.match(r"\s+(\S+) => (/\S+)", line):
                resolved[match[1]] = match[2]
    if missing:
        raise BuildError(f"libraries not found for the bundle: {', '.join(sorted(missing))}")
    system = {
        name: resolved[name]
        for name in needed - inside
        if name in resolved and not resolved[name].startswith(str(bundle))
    }
    owners = owning_packages(system.values())
    unowned = sorted(name for name, path in system.items() if path not in owners)
    if unowned:
        raise BuildError(f"system libraries no Debian package owns: {', '.join(unowned)}")
    listed = {name for group in DEPENDS for name in group_names(group)}
    absent = sorted({owners[path] for path in system.values()} - listed)
    if absent:
        raise BuildError(
            "the bundle links libraries from packages not in DEPENDS: "
            f"{', '.join(absent)} (add them to DEPENDS in {Path(__file__).name})"
        )
    derived = set(owners.values())
    say(f"{len(system)} system libraries, from {len(derived)} packages, all in Depends")
    unused = [group for group in DEPENDS if not derived.intersection(group_names(group))]
    if unused:
        say(f"in Depends though nothing here links them: {', '.join(unused)}")
    return [f"libc6 (>= {glibc[0]}.{glibc[1]})" if dep == "libc6" else dep for dep in DEPENDS]


def stage(python: Path, bundle: Path, root: Path) -> Path:
    """Lay out the package's files under ``root``."""
    say("staging the package")
    shutil.rmtree(root, ignore_errors=True)
    opt = root / INSTALL_DIR.relative_to("/")
    shutil.copytree(bundle, opt, symlinks=True)
    usr_bin = root / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    (usr_bin / PACKAGE).symlink_to(INSTALL_DIR / PACKAGE)
    share = root / "usr" / "share"
    install_file(RESOURCES / f"{APP_ID}.desktop", share / "applications" / f"{APP_ID}.desktop")
    install_file(metainfo(), share / "metainfo" / f"{APP_ID}.metainfo.xml")
    hicolor = share / "icons" / "hicolor"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run([str(python), str(PACKAGING / "icons.py"), "hicolor", str(hicolor)], env=env)
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(COPYRIGHT)
    normalise_modes(root)
    return root


def write_control(root: Path, version: str, arch: str, depends: list[str]) -> None:
    installed_kib = sum(
        (p.lstat().st_size + 1023) // 1024 for p in root.rglob("*") if not p.is_dir()
    )
    control = root / "DEBIAN" / "control"
    control.parent.mkdir(mode=0o755)
    control.write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        "Section: utils\n"
        "Priority: optional\n"
        "Description: desktop monitor for long-running jobs, with its job server\n"
        " jobdesk keeps a live view of the jobs on one or more job servers: progress,\n"
        " attempts, logs and results, a tray icon and desktop notifications, and\n"
        " actions to submit, cancel, retry or force-fail jobs.\n"
        " .\n"
        " The same program runs the job server (jobdesk serve) and gives shell\n"
        " scripts a command line to report progress from.\n"
    )
    control.chmod(0o644)


def report_sizes(bundle: Path, deb: Path) -> None:
    bundle_mb = tree_size(bundle) / 1e6
    deb_mb = deb.stat().st_size / 1e6
    verdict = "within" if deb_mb < TARGET_DEB_MB else "OVER"
    say(f"bundle {bundle_mb:.1f} MB ({bundle.name}/), .deb {deb_mb:.1f} MB")
    say(f".deb is {verdict} the {TARGET_DEB_MB} MB target")


# -- helpers ------------------------------------------------------------------------------


COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: jobdesk

Files: *
Copyright: jobdesk developers
License: MIT
 The bundle under /opt/jobdesk also holds Python, Qt (PySide6, LGPL-3.0) and the
 Python packages jobdesk depends on, each under its own license.
"""


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def project_version() -> str:
    text = (ROOT / "jobdesk" / "__init__.py").read_text()
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BuildError("no __version__ in jobdesk/__init__.py")
    return match[1]


def metainfo() -> Path:
    return RESOURCES / f"{APP_ID}.metainfo.xml"


def inputs_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(input_files()):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def input_files() -> Iterator[Path]:
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            yield path
        for child in path.rglob("*") if path.is_dir() else ():
            if child.is_file() and "__pycache__" not in child.parts:
                yield child


def missing_apt_packages() -> list[str]:
    """The build tools' and the Depends' packages not installed here."""
    groups = dict.fromkeys([*BUILD_TOOLS.values(), *DEPENDS])
    present = installed_packages(name for group in groups for name in group_names(group))
    return [group_names(g)[0] for g in groups if not present.intersection(group_names(g))]


def installed_packages(names: Iterable[str]) -> set[str]:
    output = run(["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *names], check=False)
    return {line.split()[0] for line in output.splitlines() if line.endswith(" installed")}


def check_tools(tools: dict[str, str]) -> None:
    absent = {package for command, package in tools.items() if not shutil.which(command)}
    if absent:
        raise BuildError(f"missing tools; install: apt-get install {' '.join(sorted(absent))}")


def owning_packages(paths: Iterable[str]) -> dict[str, str]:
    """Map each library path to the Debian package that owns it (merged /usr aware)."""
    wanted: dict[str, str] = {}
    for path in paths:
        for alias in (path, usr_toggled(path), os.path.realpath(path)):
            wanted[alias] = path
    output = run(["dpkg-query", "-S", *sorted(wanted)], check=False)
    owners: dict[str, str] = {}
    for line in output.splitlines():
        package, _, owned = line.partition(": ")
        if owned in wanted and ", " not in package:
            owners[wanted[owned]] = package.split(":")[0]
    return owners


def group_names(group: str) -> list[str]:
    """``"libssl3 | libssl3t64"`` -> ``["libssl3", "libssl3t64"]``."""
    return [name.strip() for name in group.split("|")]


def usr_toggled(path: str) -> str:
    return path.removeprefix("/usr") if path.startswith("/usr/") else "/usr" + path


def elf_files(folder: Path) -> Iterator[Path]:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def split_per_file(readelf_output: str) -> Iterator[tuple[str, str]]:
    parts = re.split(r"^File: (.+)$", readelf_output, flags=re.MULTILINE)
    yield from zip(parts[1::2], parts[2::2], strict=True)


def chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def install_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def normalise_modes(root: Path) -> None:
    """0755 for folders and programs, 0644 for everything else (libraries included)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        library = path.suffix == ".so" or ".so." in path.name
        program = not library and os.access(path, os.X_OK)
        path.chmod(0o755 if path.is_dir() or program else 0o644)


def tree_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if not p.is_dir())


def read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def run(command: Sequence[str], *, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run ``command``; return its stdout; on failure raise with its stderr's tail."""
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{Path(command[0]).name} exited {result.returncode}:\n{tail}")
    return result.stdout


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"build_deb: [{time.monotonic() - _STARTED:4.0f} s] {message}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
