"""The import contracts (import-linter, written from the installed domains by
tests/core/import_contracts.py) hold, and they would catch the mistakes they exist for: a
service circle, a domain reaching into another's models, core importing a domain."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openward.app import DOMAINS
from tests.core.import_contracts import configuration

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    config = root / "contracts.ini"
    config.write_text(configuration())
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache", str(config)],
        cwd=root,
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=300,
    )


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package with one import added at the top of one module."""
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__"))
    target = root / "src" / "openward" / module
    text = target.read_text()
    head = "from __future__ import annotations\n"
    target.write_text(text.replace(head, head + "\n" + line + "\n", 1))
    return root


def test_every_import_contract_is_kept(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "src").symlink_to(ROOT / "src")
    result = _lint(checkout)
    assert result.returncode == 0, result.stdout + result.stderr
    contracts = configuration().count("[importlinter:contract:")
    assert contracts >= 5 + len(DOMAINS) - 1  # every domain but one has models of its own
    assert f"Contracts: {contracts} kept, 0 broken." in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (  # the circle this issue broke: staff calling back into scheduling
            "staff/service.py",
            "from openward.scheduling import service as scheduling_service  # noqa",
            ["No import cycles between domain packages", "Domains import downwards only"],
        ),
        (  # another domain's table, not its service
            "pharmacy/stock.py",
            "from openward.patients.models import Patient  # noqa",
            ["Only patients uses its own routes, pages and models"],
        ),
        (  # the foundation reaching up
            "core/audit.py",
            "from openward.identity import service as identity_service  # noqa",
            ["The foundation (core, db, config) imports no domain"],
        ),
    ],
    ids=["cycle", "models", "core"],
)
def test_a_deliberate_violation_breaks_the_build(tmp_path, module, line, broken):
    result = _lint(_copy_with(tmp_path, module, line))
    assert result.returncode != 0
    for name in broken:
        assert _verdict(result.stdout, name) == "BROKEN", result.stdout


def _verdict(output: str, name: str) -> str | None:
    """KEPT or BROKEN for the contract whose name starts so (names wrap on narrow terminals)."""
    report = " ".join(output.split())
    found = re.search(re.escape(name) + r".*?\b(KEPT|BROKEN)\b", report)
    return found.group(1) if found else None


def test_imports_are_module_level_except_the_clis_lazy_ones():
    """An import of OpenWard inside a function hides a dependency (and once hid a cycle);
    only cli.py imports lazily, for start-up time, and says so on the line. (Optional
    packages, redis for one, may still be imported where they are used.)"""
    import ast

    hidden = []
    for path in sorted((ROOT / "src" / "openward").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                names = (
                    [a.name for a in inner.names]
                    if isinstance(inner, ast.Import)
                    else [inner.module or ""]
                    if isinstance(inner, ast.ImportFrom)
                    else []
                )
                if any(name.split(".")[0] == "openward" for name in names):
                    where = f"{path.relative_to(ROOT)}:{inner.lineno}"
                    if path.name == "cli.py" and "# lazy: start-up time" in lines[inner.lineno - 1]:
                        continue
                    hidden.append(where)
    assert hidden == []
