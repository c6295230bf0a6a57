"""action.yml's own shell steps, run by tests/gitops/actionrun.py on a copy of the example project,
with the comment going to the stub GitHub API: the comment body is exactly ``tablespec plan
--format markdown`` plus the marker, exit codes 0 and 2 pass, anything else fails after the
comment shows the error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from actionrun import ActionRun
from github_stub import TOKEN, GitHubStub
from gitops_helpers import PR, REPO, ROOT, example_project

MARK = "<!-- tablespec-plan -->"
BIN = Path(sys.executable).parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path / "repo")


def _env(tmp_path: Path, github: GitHubStub, event_name: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}} if event_name == "pull_request" else {}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TABLESPEC_", "RUNNER_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", GITHUB_API_URL=github.url, GITHUB_REPOSITORY=REPO,
               GITHUB_EVENT_PATH=str(event), GITHUB_EVENT_NAME=event_name)
    return env


def _action(project: Path, github: GitHubStub, *, event_name: str = "pull_request", **inputs: str) -> ActionRun:
    temp = project.parent / f"runner-temp-{len(github.requests)}"
    temp.mkdir()
    return ActionRun(action_file=ROOT / "action.yml", workspace=project, temp=temp, inputs=dict(inputs),
                     github={"event_name": event_name, "action_path": str(ROOT), "token": TOKEN},
                     env=_env(project.parent, github, event_name))


def _tablespec(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TABLESPEC_")}
    return subprocess.run([str(BIN / "tablespec"), *args], cwd=project, capture_output=True, text=True, env=env,
                          timeout=300, check=False)


def test_plan_with_changes_posts_the_markdown_and_passes(project: Path, github: GitHubStub) -> None:
    run = _action(project, github)
    outputs = run.run()
    assert outputs == {"exitcode": "2", "has-changes": "true",
                       "plan-file": f"{run.temp}/tablespec-plan/plan.json"}
    assert not run.failed, [(r.name, r.stderr) for r in run.results]
    markdown = _tablespec(project, "plan", "specs", "--format", "markdown")
    assert markdown.returncode == 0, markdown.stderr
    [comment] = github.comments[(REPO, PR)]
    assert comment["body"] == MARK + "\n" + markdown.stdout
    saved = json.loads(Path(outputs["plan-file"]).read_text())
    assert saved["format_version"] == 1 and saved["summary"]["create"] == 3
    upload = run.step("Upload the saved plan")
    assert upload.uses.startswith("actions/upload-artifact@")
    assert upload.with_["name"] == "tablespec-plan"
    saved_dir = run.temp / "tablespec-plan"
    assert upload.with_["path"].split() == [f"{saved_dir}/plan.json", f"{saved_dir}/plan.md"]
    assert "changes pending (exit 2), not a failure" in run.step("Check the plan's exit code").stdout
    assert (run.temp / "summary.md").read_text() == markdown.stdout


def test_second_push_updates_the_same_comment(project: Path, github: GitHubStub) -> None:
    _action(project, github).run()
    [first] = github.comments[(REPO, PR)]
    applied = _tablespec(project, "apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    run = _action(project, github)
    outputs = run.run()
    assert outputs["exitcode"] == "0" and outputs["has-changes"] == "false"
    assert not run.failed
    markdown = _tablespec(project, "plan", "--format", "markdown")
    assert [(c["id"], c["body"]) for c in github.comments[(REPO, PR)]] == [(first["id"], MARK + "\n" + markdown.stdout)]
    assert [r.method for r in github.requests] == ["GET", "POST", "GET", "PATCH"]


def test_invalid_spec_is_commented_then_fails_the_action(project: Path, github: GitHubStub) -> None:
    orders = project / "specs" / "orders.yaml"
    orders.write_text(orders.read_text().replace("columns:", "colums:", 1))
    validate = _tablespec(project, "validate")
    assert validate.returncode == 3
    run = _action(project, github)
    outputs = run.run()
    assert outputs == {"exitcode": "3", "has-changes": "false", "plan-file": ""}
    assert run.failed
    check = run.step("Check the plan's exit code")
    assert check.returncode == 3
    assert "::error title=tablespec validate failed::tablespec validate exited 3" in check.stdout
    body = github.comments[(REPO, PR)][0]["body"]
    assert body.startswith(MARK + "\n\n\n**`tablespec validate` failed (exit 3):**\n\n```text\n")
    assert validate.stderr.strip() in body  # the validate message, file:line and all
    assert "colums" in body
    assert run.step("Upload the saved plan").uses  # the artifact step still runs (always())


def test_push_event_plans_without_commenting(project: Path, github: GitHubStub) -> None:
    run = _action(project, github, event_name="push")
    outputs = run.run()
    assert outputs["exitcode"] == "2"
    assert not run.step("Post the plan on the pull request").ran
    assert github.requests == []


def test_spec_list_key_and_working_directory(project: Path, github: GitHubStub) -> None:
    nested = project.parent / "mono"
    nested.mkdir()
    shutil.move(str(project), nested / "lake")
    project = nested
    run = _action(project, github, **{"working-directory": "lake", "specs": "specs/customers.yaml\nspecs/orders.yaml",
                                      "comment-key": "prod/eu", "artifact-name": "plan-prod"})
    outputs = run.run()
    assert outputs["exitcode"] == "2"
    body = github.comments[(REPO, PR)][0]["body"]
    assert body.startswith("<!-- tablespec-plan:prod/eu -->\n### tablespec plan\n")
    assert "`crm.customers`" in body and "`sales.orders`" in body and "`web.events`" not in body
    assert outputs["plan-file"] == f"{run.temp}/tablespec-plan-prod-eu/plan.json"
    assert run.step("Upload the saved plan").with_["name"] == "plan-prod"


def test_comment_false_never_calls_github(project: Path, github: GitHubStub) -> None:
    run = _action(project, github, comment="false")
    assert run.run()["exitcode"] == "2"
    assert github.requests == []


def test_comment_failure_fails_the_action(project: Path, github: GitHubStub) -> None:
    github.fail["POST"] = (403, "Resource not accessible by integration")
    run = _action(project, github)
    run.run()
    posted = run.step("Post the plan on the pull request")
    assert posted.returncode == 1
    assert "403 Forbidden: Resource not accessible by integration" in posted.stderr
    assert TOKEN not in posted.stdout + posted.stderr
    assert run.failed


def test_the_runner_refuses_expressions_it_cannot_evaluate(project: Path, github: GitHubStub) -> None:
    run = _action(project, github, comment="auto")
    assert run.evaluate("inputs.comment == 'auto' && (github.event_name != 'push' || always())") is True
    with pytest.raises(AssertionError, match="cannot evaluate"):
        run.evaluate("contains(github.event_name, 'pull')")
    with pytest.raises(AssertionError, match="cannot evaluate 'secrets.TOKEN'"):
        run.substitute("${{ secrets.TOKEN }}")
    with pytest.raises(AssertionError, match="no value for steps.plan.result"):
        run.evaluate("steps.plan.result")


def test_plan_error_is_commented_then_fails_the_action(project: Path, github: GitHubStub) -> None:
    assert _tablespec(project, "apply", "--auto-approve").returncode == 0
    (project / "warehouse" / "sales" / "orders" / "_delta_log" / "00000000000000000000.json").write_text("{garbage\n")
    run = _action(project, github)
    outputs = run.run()
    assert outputs == {"exitcode": "1", "has-changes": "false", "plan-file": ""}
    assert run.step("Check the plan's exit code").returncode == 1
    body = github.comments[(REPO, PR)][0]["body"]
    assert body.startswith(MARK + "\n\n\n**`tablespec plan` failed (exit 1):**\n\n```text\nError: open on table sales.orders")
