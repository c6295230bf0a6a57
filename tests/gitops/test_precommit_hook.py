"""The ``tablespec-validate`` pre-commit hook, run for real with ``pre-commit try-repo``: pre-commit
builds its own venv and pip-installs this repository into it (non-editable, like a user's), then
runs the hook on a temporary git repository of specs.

try-repo needs the hook repository as a git commit, so the tests commit a copy of this checkout's
files (tracked and untracked, minus ignored ones: what a commit of the working tree would hold).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from gitops_helpers import ROOT, example_project

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _hook() -> dict:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hook


@pytest.mark.parametrize(("path", "matched"), [
    ("specs/orders.yaml", True), ("specs/sales/orders.yml", True), ("lake/specs/x.yaml", True),
    ("specs/README.md", False), ("other/x.yaml", False), ("myspecs/x.yaml", False), ("specs.yaml", False),
    (".github/workflows/plan.yml", False),
])
def test_files_pattern_takes_spec_files_under_specs_folders(path: str, matched: bool) -> None:
    hook = _hook()
    assert hook["id"] == "tablespec-validate" and hook["language"] == "python"
    assert hook["entry"] == "tablespec validate"
    assert bool(re.search(hook["files"], path)) is matched


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(hook repository, PRE_COMMIT_HOME) shared by the module, so pre-commit installs once."""
    base = tmp_path_factory.mktemp("precommit")
    repo = base / "hook"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is not copied
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hook repository under test")
    yield repo, base / "pre-commit-home"


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    repo = example_project(tmp_path / "user")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    return repo


def _try_repo(hook_repo: tuple[Path, Path], user: Path, *args: str) -> subprocess.CompletedProcess[str]:
    repo, home = hook_repo
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TABLESPEC_", "PRE_COMMIT"))}
    env.update(GIT_ENV, PRE_COMMIT_HOME=str(home))
    return subprocess.run([str(PRE_COMMIT), "try-repo", str(repo), "tablespec-validate", *args], cwd=user, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.slow
def test_good_specs_pass(hook_repo: tuple[Path, Path], user_repo: Path) -> None:
    out = _try_repo(hook_repo, user_repo, "--all-files")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"tablespec validate\.+Passed", out.stdout)


@pytest.mark.slow
def test_broken_spec_fails_with_the_validate_message(hook_repo: tuple[Path, Path], user_repo: Path) -> None:
    orders = user_repo / "specs" / "orders.yaml"
    orders.write_text(orders.read_text().replace("columns:", "colums:", 1))
    _git(user_repo, "add", "-A")
    out = _try_repo(hook_repo, user_repo, "--all-files")
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(r"tablespec validate\.+Failed", out.stdout)
    assert "- exit code: 3" in out.stdout
    assert "specs/orders.yaml:7:1: error: unknown key 'colums' in the spec" in out.stdout
    assert "hint: did you mean 'columns'?" in out.stdout
    assert "Invalid: 3 error(s), 0 warning(s) in 3 file(s)." in out.stdout


@pytest.mark.slow
def test_only_the_changed_spec_is_checked(hook_repo: tuple[Path, Path], user_repo: Path) -> None:
    _git(user_repo, "commit", "-q", "-m", "specs")
    events = user_repo / "specs" / "events.yaml"
    events.write_text(events.read_text().replace("type: string", "type: strnig", 1))
    (user_repo / "notes.yaml").write_text("not: [a spec\n")  # outside specs/: not the hook's business
    _git(user_repo, "add", "-A")
    out = _try_repo(hook_repo, user_repo)  # no --all-files: the staged files, as on `git commit`
    assert out.returncode == 1, out.stdout + out.stderr
    assert "specs/events.yaml:" in out.stdout and "strnig" in out.stdout
    assert "in 1 file(s)." in out.stdout
    assert "orders.yaml" not in out.stdout and "notes.yaml" not in out.stdout
