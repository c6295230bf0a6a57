"""`tablespec apply` as a command: approval, exit codes, output formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tablespec.cli import run

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: demo.things
location: demo/things
description: Things
columns:
  - {name: id, type: long, nullable: false}
  - {name: name, type: string}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "things.yaml").write_text(SPEC)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    monkeypatch.chdir(root)
    return root


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def created(root: Path) -> bool:
    return (root / "warehouse" / "demo" / "things" / "_delta_log").is_dir()


def test_non_interactive_shell_without_auto_approve_refuses(project: Path) -> None:
    """A real child process with stdin from /dev/null, as in CI."""
    proc = subprocess.run([sys.executable, "-m", "tablespec", "apply"], check=False, cwd=project, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, "TABLESPEC_WAREHOUSE": ""}, timeout=120)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "--auto-approve" in proc.stderr and "not a terminal" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not created(project)


def test_auto_approve_applies_and_prints_what_was_done(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "apply", "--auto-approve")
    assert code == 0, out + err
    assert "demo.things: applied in" in out and "version none -> 0" in out and "+ created table (2 columns)" in out
    assert err == "demo.things: [1/1] CreateTable\n"  # not a terminal: plain progress lines, no bar
    assert created(project)
    code, out, _ = cli(capsys, "apply")  # nothing to do: no approval needed
    assert code == 0 and "demo.things: no changes (version 0)" in out


def test_interactive_yes_shows_the_plan_then_applies(project: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr("tablespec.cli.apply.stdin_is_tty", lambda: True)
    monkeypatch.setattr("click.confirm", lambda text, **kw: asked.append(text) or True)
    code, out, _ = cli(capsys, "apply")
    assert code == 0
    assert asked == ["Apply these changes?"]
    assert out.index("demo.things") < out.index("applied in")  # the plan came first
    assert created(project)


def test_interactive_no_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tablespec.cli.apply.stdin_is_tty", lambda: True)
    monkeypatch.setattr("click.confirm", lambda text, **kw: False)
    code, _, err = cli(capsys, "apply")
    assert code == 1 and "Aborted" in err
    assert not created(project)


def test_json_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "apply", "--auto-approve", "--format", "json")
    assert code == 0
    report = json.loads(out)
    assert report["format_version"] == 1 and report["ok"] is True and report["plan_id"]
    [table] = report["tables"]
    assert table["table"] == "demo.things" and table["status"] == "applied"
    assert table["version_before"] is None and table["version_after"] == 0
    assert [a["action"] for a in table["actions"]] == ["CreateTable"]
    assert report["summary"] == {"applied": 1, "refused": 0, "failed": 0, "skipped": 0}


def test_refused_change_needs_no_approval_and_exits_4(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "apply", "--auto-approve")[0] == 0
    (project / "specs" / "things.yaml").write_text(SPEC.replace("  - {name: name, type: string}\n", ""))
    code, out, _ = cli(capsys, "apply")  # stdin is not a terminal, but only a refused table has changes
    assert code == 4
    assert "demo.things: refused, nothing applied" in out and "--allow destructive" in out


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["apply", "--allow", "everything"], 64),
        (["apply", "--format", "markdown"], 64),
        (["apply", "--table", "no.such"], 64),
        (["apply", "--plan", "missing.json", "--auto-approve"], 64),
        (["apply", "--bogus"], 64),
    ],
)
def test_usage_errors_exit_64(project: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int) -> None:
    assert cli(capsys, *args)[0] == code
    assert not created(project)


def test_invalid_spec_exits_3(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "specs" / "things.yaml").write_text(SPEC.replace("type: long", "type: lng"))
    code, _, err = cli(capsys, "apply", "--auto-approve")
    assert code == 3 and "lng" in err
    assert not created(project)


def test_plan_file_that_is_not_a_plan_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "plan.json").write_text(textwrap.dedent('{"format_version": 99, "tables": []}'))
    code, _, err = cli(capsys, "apply", "--plan", "plan.json", "--auto-approve")
    assert code == 64 and "format_version" in err
