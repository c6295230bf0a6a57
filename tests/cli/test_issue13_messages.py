"""Issue 13, items 6, 10, 14, 19, 20 and 22 as the CLI shows them (the other message items are
cases of the bad-input corpus, tests/cli/bad_inputs.py).

Real tables in tmp_path, the CLI in-process (``tablespec.cli.run``) or as a child process where
the terminal matters (no approval possible without one).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tablespec import DeltaTable
from tablespec.cli import run

SECRET = "s3cr3t-Value-Never-Shown-0123"
SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: demo.t
location: demo/t
description: Things
columns:
  - {name: id, type: long, nullable: false}
  - {name: amount, type: "decimal(10,2)"}
sources:
  - name: s
    path: ../data/*.csv
    mode: MODE
"""
MERGE = "merge\n    merge: {keys: [id]}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    (root / "specs" / "t.yaml").write_text(SPEC.replace("MODE", "append"))
    for key in ("TABLESPEC_WAREHOUSE", "TABLESPEC_DEBUG", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(root)
    return root


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def table(root: Path) -> DeltaTable:
    return DeltaTable(str(root / "warehouse" / "demo" / "t"), {})


# --- 6: secrets ---------------------------------------------------------------------------------


def test_secret_values_already_in_a_table_are_redacted_everywhere(project: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret that reached a table before the spec check existed (or through another writer)
    is never printed: plan in every format, show, history."""
    assert cli(capsys, "apply", "--auto-approve")[0] == 0
    table(project).set_description(f"key {SECRET}", commit_metadata={"note": f"by {SECRET}"})
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for args in (("plan",), ("plan", "--format", "json"), ("plan", "--format", "markdown"), ("show", "demo.t"),
                 ("show", "demo.t", "--format", "json"), ("history", "demo.t"),
                 ("history", "demo.t", "--format", "json")):
        code, out, err = cli(capsys, *args)
        assert code == 0, (args, out, err)
        assert SECRET not in out + err, args
    code, out, _ = cli(capsys, "plan")
    assert "***" in out  # the description change is still shown, redacted
    # files the CLI writes are redacted too: a saved plan (a CI artifact), an imported spec
    assert cli(capsys, "plan", "--out", "plan.json")[0] == 0
    assert cli(capsys, "import", "warehouse/demo/t", "--name", "demo.t", "--out", "imported.yaml")[0] == 0
    for written in ("plan.json", "imported.yaml"):
        assert SECRET not in (project / written).read_text(), written


def test_secret_variable_is_refused_at_validate_with_its_line(project: Path, capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    (project / "specs" / "t.yaml").write_text(SPEC.replace("MODE", "append").replace(
        "description: Things", "description: ${AWS_SECRET_ACCESS_KEY}"))
    code, out, err = cli(capsys, "validate")
    assert code == 3
    assert "specs/t.yaml:5:" in err and "AWS_SECRET_ACCESS_KEY" in err
    assert SECRET not in out + err


# --- 10: --debug --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_prints_the_traceback_of_a_table_failure(how: str, project: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "data" / "a.csv").write_text("id,amount\n1,x\n")
    args = ["apply", "--auto-approve"]
    if how == "flag":
        args.insert(0, "--debug")
    else:
        monkeypatch.setenv("TABLESPEC_DEBUG", "1")
    code, out, err = cli(capsys, *args)
    assert code == 1
    assert "Traceback (most recent call last)" in err and "DataError" in err
    assert "demo.t: FAILED" in out
    monkeypatch.delenv("TABLESPEC_DEBUG", raising=False)
    code, _, err = cli(capsys, "apply", "--auto-approve")
    assert code == 1 and "Traceback" not in err  # only with --debug


# --- 14: a merge stopped by its second file -----------------------------------------------------


def test_merge_stopped_by_a_later_file_says_what_was_committed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "specs" / "t.yaml").write_text(SPEC.replace("MODE", MERGE))
    (project / "data" / "a.csv").write_text("id,amount\n1,1.00\n")
    (project / "data" / "b.csv").write_text("id,amount\n2,x\n")
    code, out, _ = cli(capsys, "apply", "--auto-approve")
    assert code == 1
    assert "nothing was written" not in out
    assert re.search(r"a\.csv.*(committed|loaded)", out), out
    assert re.search(r"b\.csv.*not", out), out
    assert table(project).read().collect()["id"].to_list() == [1]


# --- 19: apply --format json that stops for approval --------------------------------------------


def test_json_apply_without_approval_prints_a_json_report(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tablespec", "apply", "--format", "json"], cwd=project,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False,
                          env={**os.environ, "TABLESPEC_WAREHOUSE": ""})
    assert proc.returncode == 4, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["format_version"] == 1 and report["ok"] is False
    assert report["status"] == "refused" and "approval" in report["reason"]
    assert "--auto-approve" in proc.stderr
    assert not (project / "warehouse" / "demo" / "t").exists()


# --- 20: what this process did when another writer loaded the files -----------------------------


def test_a_load_another_writer_did_is_reported_as_skipped(project: Path) -> None:
    """The other writer commits between this apply's plan and its load (a progress seam runs it)."""
    import tablespec
    from tablespec.render.apply_report import render_json, render_text

    (project / "data" / "a.csv").write_text("id,amount\n1,1.00\n2,2.00\n")
    assert tablespec.apply(approve=lambda plan: True).ok  # the table exists; now a new file lands
    (project / "data" / "b.csv").write_text("id,amount\n3,3.00\n")
    other: list[object] = []

    from tablespec.model.progress import ProgressEvent, Step

    def progress(event: ProgressEvent) -> None:
        if isinstance(event, Step) and event.what.startswith("LoadSource") and not other:
            other.append(tablespec.apply(approve=lambda plan: True))

    report = tablespec.apply(approve=lambda plan: True, progress=progress)
    assert other and other[0].tables[0].loads[0].files == 1  # type: ignore[attr-defined]
    [outcome] = report.tables[0].loads
    assert outcome.files == 0 and outcome.skipped == 1
    text = render_text(report)
    assert "+ loaded source" not in text
    assert "skipped: already loaded by another writer" in text
    assert json.loads(render_json(report))["tables"][0]["loads"][0]["skipped"] == 1
    assert table(project).read().collect().height == 3


# --- 22: docs and headings ----------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def test_module_paths_in_the_docs_exist() -> None:
    named = set()
    for doc in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        for match in re.finditer(r"`(tablespec/[\w/]+(?:\.py)?)`", doc.read_text(encoding="utf-8")):
            named.add((doc.name, match.group(1)))
    assert named
    missing = sorted((doc, path) for doc, path in named if not (REPO / path).exists())
    assert not missing, missing


def test_tablespec_debug_is_documented() -> None:
    docs = "".join(p.read_text(encoding="utf-8") for p in [REPO / "README.md", *(REPO / "docs").glob("*.md")])
    assert "TABLESPEC_DEBUG" in docs


def test_markdown_plan_counts_what_it_lists(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "data" / "a.csv").write_text("id,amount\n1,1.00\n")
    code, out, _ = cli(capsys, "plan", "--format", "markdown")
    assert code == 0
    [summary] = re.findall(r"<summary>.*?(\d+) actions?.*?</summary>", out)
    details = out.split("</summary>", 1)[1].split("</details>", 1)[0]
    rows = [ln for ln in details.splitlines() if ln.startswith("| `")]
    assert int(summary) == len(rows), out
    overview = re.search(r"\| `demo\.t` \| create \| — \| (\d+) \|", out)
    assert overview and int(overview.group(1)) == len(rows)


def test_markdown_diff_is_headed_diff(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "diff", "specs", "specs", "--format", "markdown")
    assert code == 0
    assert out.startswith("### tablespec diff")
