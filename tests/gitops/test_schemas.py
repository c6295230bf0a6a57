"""action.yml and the example workflows validate against GitHub's schemas, as vendored inside
check-jsonschema (``--builtin-schema``): no network. The proxy variables point at a dead port, so
a check that tried to download anything would fail here instead of passing by luck."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitops_helpers import ROOT

CHECK = Path(sys.executable).parent / "check-jsonschema"
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))


def _check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead}
    return subprocess.run([str(CHECK), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_example_workflows_are_plan_and_apply() -> None:
    assert [w.name for w in WORKFLOWS] == ["apply.yml", "plan.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_is_valid(workflow: Path) -> None:
    out = _check("vendor.github-workflows", workflow)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok -- validation done" in out.stdout


def test_action_is_valid() -> None:
    out = _check("vendor.github-actions", ROOT / "action.yml")
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "plan.yml"
    broken.write_text((ROOT / "examples" / "github" / "plan.yml").read_text().replace("runs-on:", "runs_on:"))
    out = _check("vendor.github-workflows", broken)
    assert out.returncode == 1
    assert "'runs-on' is a required property" in out.stdout


def test_the_check_catches_a_broken_action(tmp_path: Path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text((ROOT / "action.yml").read_text().replace("using: composite", "using: compost"))
    out = _check("vendor.github-actions", broken)
    assert out.returncode == 1, out.stdout
