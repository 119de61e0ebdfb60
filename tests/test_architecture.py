"""The layers of src/ingest hold: import-linter's contracts (pyproject ``[tool.importlinter]``) pass on
the tree, and fail when a core module imports Prefect or the disk, or a lower layer imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on ``project`` (a folder with pyproject.toml and src/ingest)."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120)


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "src" / "ingest", project / "src" / "ingest",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def test_the_import_contracts_hold_on_the_tree() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/sanitize.py", "import prefect", "the core is pure"),
        ("core/decode.py", "from pathlib import Path", "the core is pure"),
        ("core/dates.py", "import time", "the core is pure"),
        ("core/models.py", "from ingest.store import publish", "cli > orchestration > fetch > store > core"),
        ("store/lock.py", "from prefect import flow", "only orchestration and the CLI talk to Prefect"),
        ("fetch/policy.py", "from ingest.orchestration import server", "cli > orchestration > fetch > store > core"),
        ("cli/records.py", "from ingest.cli import normalize", "the CLI's command modules do not import each other"),
        ("core/loaders/text.py", "from ingest.core import normalize", "no import cycles"),
    ],
    ids=["core-imports-prefect", "core-imports-pathlib", "core-reads-the-clock", "core-imports-store",
         "store-imports-prefect", "fetch-imports-orchestration", "commands-import-each-other", "cycle-in-core"],
)
def test_a_broken_rule_fails_the_check_and_names_the_contract(tmp_path: Path, module: str, line: str,
                                                              broken: str) -> None:
    project = copy_project(tmp_path)
    path = project / "src" / "ingest" / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(project)
    assert result.returncode != 0, result.stdout
    assert "Broken contracts" in result.stdout, result.stdout
    assert broken in result.stdout.split("Broken contracts", 1)[1], result.stdout
