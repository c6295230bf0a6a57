"""gitops/sticky_comment.py against a stub GitHub API on 127.0.0.1: one comment per PR, created
once and edited in place, other comments untouched, pagination followed, errors readable."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from github_stub import TOKEN, GitHubStub
from gitops_helpers import PR, REPO, SCRIPT, run_sticky

MARK = "<!-- tablespec-plan -->"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sticky_comment", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sticky_comment"] = module  # dataclasses look the module up while building the class
    spec.loader.exec_module(module)
    return module


sticky = _module()


def _write(tmp_path: Path, text: str, name: str = "plan.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _ours(github: GitHubStub) -> list[dict]:
    return [c for c in github.comments.get((REPO, PR), []) if MARK in c["body"]]


def test_first_run_creates_and_second_run_updates_the_same_comment(github: GitHubStub, tmp_path: Path) -> None:
    first = run_sticky(github, _write(tmp_path, "### tablespec plan\n\nPlan: 1 to create.\n"))
    assert first.returncode == 0, first.stderr
    assert "created comment 1000" in first.stdout
    assert [c["body"] for c in _ours(github)] == [MARK + "\n### tablespec plan\n\nPlan: 1 to create.\n"]

    second = run_sticky(github, _write(tmp_path, "### tablespec plan\n\nNo changes.\n"))
    assert second.returncode == 0, second.stderr
    assert "updated comment 1000" in second.stdout
    assert [(c["id"], c["body"]) for c in _ours(github)] == [(1000, MARK + "\n### tablespec plan\n\nNo changes.\n")]
    assert [(r.method, r.path) for r in github.requests] == [
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("POST", f"/repos/{REPO}/issues/{PR}/comments"),
        ("GET", f"/repos/{REPO}/issues/{PR}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/comments/1000"),
    ]
    assert all(r.authorization == f"Bearer {TOKEN}" for r in github.requests)


def test_same_plan_again_sends_no_edit(github: GitHubStub, tmp_path: Path) -> None:
    body = _write(tmp_path, "No changes.\n")
    assert run_sticky(github, body).returncode == 0
    again = run_sticky(github, body)
    assert again.returncode == 0 and "unchanged comment 1000" in again.stdout
    assert [r.method for r in github.requests] == ["GET", "POST", "GET"]


def test_comments_without_the_marker_are_left_alone(github: GitHubStub, tmp_path: Path) -> None:
    human = github.add(REPO, PR, "LGTM, but see the plan below")
    quoted = github.add(REPO, PR, "> tablespec-plan said 3 to create")  # the word, not the marker
    run_sticky(github, _write(tmp_path, "one\n"))
    run_sticky(github, _write(tmp_path, "two\n"))
    comments = github.comments[(REPO, PR)]
    assert comments[0] == human and comments[1] == quoted
    assert human["body"] == "LGTM, but see the plan below"
    assert [c["body"] for c in comments[2:]] == [MARK + "\ntwo\n"]


def test_keys_keep_two_plans_on_one_pr_apart(github: GitHubStub, tmp_path: Path) -> None:
    assert run_sticky(github, _write(tmp_path, "prod plan\n"), "--key", "prod").returncode == 0
    assert run_sticky(github, _write(tmp_path, "dev plan\n"), "--key", "dev").returncode == 0
    assert run_sticky(github, _write(tmp_path, "plain plan\n")).returncode == 0
    assert run_sticky(github, _write(tmp_path, "prod plan 2\n"), "--key", "prod").returncode == 0
    bodies = [c["body"] for c in github.comments[(REPO, PR)]]
    assert bodies == ["<!-- tablespec-plan:prod -->\nprod plan 2\n", "<!-- tablespec-plan:dev -->\ndev plan\n",
                      MARK + "\nplain plan\n"]


def test_bad_key_is_refused(github: GitHubStub, tmp_path: Path) -> None:
    out = run_sticky(github, _write(tmp_path, "x\n"), "--key", "a b -->")
    assert out.returncode == 1
    assert "--key 'a b -->' may only hold letters, digits" in out.stderr
    assert github.requests == []


def test_pagination_finds_the_comment_on_a_later_page(github: GitHubStub, tmp_path: Path) -> None:
    for i in range(230):
        github.add(REPO, PR, f"chatter {i}")
    ours = github.add(REPO, PR, MARK + "\nold plan\n")
    github.add(REPO, PR, "after")
    out = run_sticky(github, _write(tmp_path, "new plan\n"))
    assert out.returncode == 0, out.stderr
    assert f"updated comment {ours['id']}" in out.stdout
    gets = [r for r in github.requests if r.method == "GET"]
    assert [r.query.get("page", ["1"])[0] for r in gets] == ["1", "2", "3"]
    assert all(r.query["per_page"] == ["100"] for r in gets)
    assert not [r for r in github.requests if r.method == "POST"]
    assert ours["body"] == MARK + "\nnew plan\n"


def test_permission_error_is_clear_and_never_shows_the_token(github: GitHubStub, tmp_path: Path) -> None:
    github.fail["POST"] = (403, "Resource not accessible by integration")
    out = run_sticky(github, _write(tmp_path, "plan\n"))
    assert out.returncode == 1
    assert (f"sticky_comment: GitHub API POST /repos/{REPO}/issues/{PR}/comments returned 403 Forbidden: "
            "Resource not accessible by integration") in out.stderr
    assert "pull-requests: write" in out.stderr
    assert TOKEN not in out.stdout + out.stderr


def test_bad_token_gives_401(github: GitHubStub, tmp_path: Path) -> None:
    out = run_sticky(github, _write(tmp_path, "plan\n"), token="wrong-token-value")
    assert out.returncode == 1
    assert "returned 401 Unauthorized: Bad credentials" in out.stderr
    assert "wrong-token-value" not in out.stdout + out.stderr


def test_missing_pull_request_gives_404_with_hint(github: GitHubStub, tmp_path: Path) -> None:
    github.fail["GET"] = (404, "Not Found")
    out = run_sticky(github, _write(tmp_path, "plan\n"))
    assert out.returncode == 1
    assert f"hint: check the repository ({REPO}) and the pull request number ({PR})" in out.stderr


def test_unreachable_api_is_named(tmp_path: Path) -> None:
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    stub = GitHubStub(url=f"http://127.0.0.1:{port}")
    out = run_sticky(stub, _write(tmp_path, "plan\n"))
    assert out.returncode == 1
    assert f"cannot reach http://127.0.0.1:{port}" in out.stderr


def test_a_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        stub = GitHubStub(url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        out = run_sticky(stub, _write(tmp_path, "plan\n"), "--timeout", "1")
    assert out.returncode == 1
    assert "cannot reach" in out.stderr and "timed out" in out.stderr


def test_missing_token_and_pr_are_reported_together(github: GitHubStub, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    out = subprocess.run([sys.executable, str(SCRIPT), "--api-url", github.url, "--body-file",
                          str(_write(tmp_path, "plan\n"))], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert "GITHUB_TOKEN is not set" in out.stderr
    assert "no repository: pass --repo owner/name or set GITHUB_REPOSITORY" in out.stderr
    assert "no pull request: pass --pr N, or run on a pull_request event" in out.stderr
    assert github.requests == []


def test_pr_number_comes_from_the_event_payload(github: GitHubStub, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 42}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY=REPO, GITHUB_EVENT_PATH=str(event), GITHUB_API_URL=github.url)
    out = subprocess.run([sys.executable, str(SCRIPT), "--body-file", str(_write(tmp_path, "plan\n"))],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert github.comments[(REPO, 42)][0]["body"] == MARK + "\nplan\n"


def test_failed_step_shows_its_output(github: GitHubStub, tmp_path: Path) -> None:
    log = _write(tmp_path, "specs/a.yaml:3:1: unknown key 'colums' (did you mean 'columns'?)\n", "validate.log")
    out = run_sticky(github, _write(tmp_path, ""), "--failed-step", "validate", "--exitcode", "3",
                     "--log-file", str(log))
    assert out.returncode == 0, out.stderr
    assert _ours(github)[0]["body"] == (
        MARK + "\n\n\n**`tablespec validate` failed (exit 3):**\n\n```text\n"
        "specs/a.yaml:3:1: unknown key 'colums' (did you mean 'columns'?)\n```\n")


def test_long_plan_is_truncated_under_githubs_limit(github: GitHubStub, tmp_path: Path) -> None:
    rows = "".join(f"| `+` | column `c{i}` `string` | metadata |\n" for i in range(3000))
    markdown = "### tablespec plan\n\n<details>\n<summary>t</summary>\n\n" + rows + "\n</details>\n"
    assert len(markdown) > sticky.GITHUB_COMMENT_LIMIT
    out = run_sticky(github, _write(tmp_path, markdown), env={
        "GITHUB_SERVER_URL": "https://github.invalid", "GITHUB_RUN_ID": "99"})
    assert out.returncode == 0, out.stderr
    body = _ours(github)[0]["body"]
    assert len(body) <= sticky.GITHUB_COMMENT_LIMIT
    assert body.startswith(MARK + "\n### tablespec plan\n")
    assert body.count("<details>") == body.count("</details>") == 1
    assert body.endswith(f"> **Plan truncated**: {len(markdown):,} characters is more than a GitHub comment holds. "
                         "The whole plan is in the `tablespec-plan` artifact in the "
                         f"[workflow run](https://github.invalid/{REPO}/actions/runs/99).\n")
    kept = body[len(MARK) + 1: body.index("\n</details>")]
    assert markdown.startswith(kept) and kept.endswith("| metadata |")  # cut at a line boundary


@pytest.mark.parametrize("size", [0, 1, 100, 65536 - len(MARK) - 1])
def test_bodies_within_the_limit_are_kept_whole(size: int) -> None:
    markdown = "x" * size
    assert sticky.build_body(markdown) == MARK + "\n" + markdown


def test_truncation_closes_an_open_code_fence() -> None:
    markdown = "```text\n" + "line\n" * 20000
    body = sticky.build_body(markdown, limit=1000)
    assert len(body) <= 1000
    assert body.count("```") == 2
    assert "> **Plan truncated**" in body and body.endswith("in the workflow run.\n")
