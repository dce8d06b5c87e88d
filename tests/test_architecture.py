"""The package layering: import-linter's contracts hold, and each of them has teeth.

The contracts live in pyproject.toml ([tool.importlinter]). Besides running them on the
tree, a copy of the package with one forbidden import per contract must break every
contract, so a contract that silently checks nothing (e.g. one naming PySide6 while the
graph leaves external packages out) fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"

VIOLATIONS: dict[str, tuple[str, str, str]] = {
    # contract id: (module to add, its import, what lint-imports then reports)
    "protocol": (
        "jobdesk/protocol/_violation.py",
        "import jobdesk.server.config\n",
        "jobdesk.protocol is not allowed to import jobdesk.server",
    ),
    "core": (
        "jobdesk/core/_violation.py",
        "import httpx\n",
        "jobdesk.core is not allowed to import httpx",
    ),
    "server-sdk-base": (
        "jobdesk/server/_violation.py",
        "import jobdesk.gui\n",
        "jobdesk.server is not allowed to import jobdesk.gui",
    ),
    "server-sdk-independent": (
        "jobdesk/sdk/_violation.py",
        "from jobdesk.server import config\n",
        "jobdesk.sdk is not allowed to import jobdesk.server",
    ),
    "client": (
        "jobdesk/client/_violation.py",
        "import jobdesk.sdk\n",
        "jobdesk.client is not allowed to import jobdesk.sdk",
    ),
    "server-stack": (
        "jobdesk/sdk/_stack_violation.py",
        "import sqlalchemy.orm\n",
        "jobdesk.sdk is not allowed to import sqlalchemy",
    ),
    "qt": (
        "jobdesk/server/_qt_violation.py",
        "def later() -> None:\n    from PySide6 import QtCore\n",
        "jobdesk.server is not allowed to import PySide6",
    ),
}


def _config() -> dict[str, Any]:
    with PYPROJECT.open("rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["importlinter"]
    return config


def _contracts() -> list[dict[str, Any]]:
    contracts: list[dict[str, Any]] = _config()["contracts"]
    return contracts


def _lint_imports(cwd: Path, config: Path, pythonpath: Path | None = None) -> tuple[int, str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    command = [
        sys.executable,
        "-c",
        "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
        "--config",
        str(config),
        "--no-cache",
        "--no-logo",
    ]
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_import_contracts_are_checked_with_external_packages() -> None:
    config = _config()
    assert config["root_package"] == "jobdesk"
    assert config.get("include_external_packages") is True, (
        "without include_external_packages the Qt/network contracts cannot be checked"
    )
    ids = [str(contract.get("id")) for contract in _contracts()]
    assert sorted(ids) == sorted(VIOLATIONS), "each contract needs a violation in VIOLATIONS"


def test_import_contracts_hold() -> None:
    code, output = _lint_imports(ROOT, PYPROJECT)
    assert code == 0, output
    for contract in _contracts():
        assert f"{contract['name']} KEPT" in output, output
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in output, output


def _copy_package(target: Path) -> None:
    shutil.copytree(
        ROOT / "jobdesk",
        target / "jobdesk",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    # every package a contract names must exist for the copy to be checked at all
    for name in ("core", "client", "server", "sdk", "gui", "cli", "protocol"):
        init = target / "jobdesk" / name / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("", encoding="utf-8")


def test_every_contract_catches_the_import_it_forbids(tmp_path: Path) -> None:
    _copy_package(tmp_path)
    shutil.copy(PYPROJECT, tmp_path / "pyproject.toml")
    clean_code, clean_output = _lint_imports(tmp_path, tmp_path / "pyproject.toml", tmp_path)
    assert clean_code == 0, f"the copy must pass before the violations:\n{clean_output}"

    for module, source, _ in VIOLATIONS.values():
        (tmp_path / module).write_text(source, encoding="utf-8")
    code, output = _lint_imports(tmp_path, tmp_path / "pyproject.toml", tmp_path)

    assert code != 0, output
    for contract in _contracts():
        assert f"{contract['name']} BROKEN" in output, (contract["name"], output)
    for contract_id, (_, _, report) in VIOLATIONS.items():
        assert report in output, (contract_id, output)
    assert f"Contracts: 0 kept, {len(_contracts())} broken." in output, output


QT = ["PySide6", "shiboken6", "qasync"]
SERVER_STACK = ["litestar", "uvicorn", "sqlalchemy", "alembic"]


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("jobdesk.server.app", [*QT, "jobdesk.gui", "jobdesk.client", "jobdesk.sdk"]),
        ("jobdesk.protocol", [*QT, *SERVER_STACK, "httpx", "websockets", "jobdesk.server"]),
        ("jobdesk.sdk", [*QT, *SERVER_STACK, "jobdesk.server", "jobdesk.gui"]),
    ],
)
def test_importing_does_not_load(module: str, forbidden: list[str]) -> None:
    """What an import really loads, lazy and dynamic imports included."""
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    assert module in loaded
    unwanted = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert unwanted == [], f"importing {module} loads {unwanted}"
