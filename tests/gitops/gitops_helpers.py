"""Shared by the GitOps tests: paths, the PR the stub serves, and the sticky script as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from github_stub import TOKEN, GitHubStub

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "gitops" / "sticky_comment.py"
REPO, PR = "acme/lake", 7


def run_sticky(stub: GitHubStub, body_file: Path, *args: str, token: str = TOKEN,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The script as the action runs it: a subprocess, the token in GITHUB_TOKEN only."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    full_env.update({"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": REPO, **(env or {})})
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--api-url", stub.url, "--pr", str(PR), "--timeout", "10",
         "--body-file", str(body_file), *args],
        capture_output=True, text=True, env=full_env, timeout=60, check=False)


def example_project(dest: Path) -> Path:
    """A copy of the example project (specs/ and the data/ they load) at ``dest``."""
    dest.mkdir(parents=True)
    shutil.copytree(ROOT / "specs", dest / "specs")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest
