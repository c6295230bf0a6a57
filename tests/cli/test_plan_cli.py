"""`tablespec plan` and `tablespec diff` through the CLI: exit codes, output, saved plans."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from tablespec.cli import run
from tablespec.model.plan import plan_from_json

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: sales.orders
location: sales/orders
columns:
  - name: order_id
    type: {id_type}
    nullable: false
  - name: amount
    type: decimal(18,2)
{extra_columns}properties:
  delta.enableChangeDataFeed: "true"
"""


def spec_text(id_type: str = "long", extra_columns: str = "") -> str:
    return SPEC.format(id_type=id_type, extra_columns=extra_columns)


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (tablespec.yaml, specs/, local warehouse) that is the current folder."""
    for key in ("TABLESPEC_WAREHOUSE", "NO_COLOR"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "orders.yaml").write_text(spec_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def create_table(proj: Path) -> None:
    from tablespec.delta.table import DeltaTable

    schema = pa.schema([pa.field("order_id", pa.int64(), nullable=False), pa.field("amount", pa.decimal128(18, 2))])
    DeltaTable(str(proj / "warehouse" / "sales" / "orders"), {}).create(
        schema, properties={"delta.enableChangeDataFeed": "true",
                            "tablespec.managedProperties": "delta.enableChangeDataFeed"})


# --- plan -------------------------------------------------------------------------------------------


def test_plan_exit_codes(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan"]) == 0
    out = capsys.readouterr().out
    assert "+ table sales.orders will be created" in out and out.endswith("Plan: 1 to create, 0 to change, 0 refused.\n")
    assert run(["plan", "--detailed-exitcode"]) == 2
    create_table(proj)
    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode"]) == 0
    assert capsys.readouterr().out == "No changes. 1 table matches its spec.\n"


def test_plan_invalid_spec_is_3_and_bad_flags_are_64(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--format", "xml"]) == 64
    assert run(["plan", "--no-such-flag"]) == 64
    assert run(["plan", "--table", "no.such.table"]) == 64
    (proj / "specs" / "orders.yaml").write_text(spec_text(id_type="lng"), encoding="utf-8")
    assert run(["plan"]) == 3
    assert "unknown type 'lng'" in capsys.readouterr().err


def test_plan_out_saves_the_plan_json(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    create_table(proj)
    (proj / "specs" / "orders.yaml").write_text(spec_text(extra_columns="  - name: note\n    type: string\n"),
                                                encoding="utf-8")
    assert run(["plan", "--out", "plan.json", "--detailed-exitcode"]) == 2
    captured = capsys.readouterr()
    assert "+ column note string" in captured.out and "Saved the plan to plan.json" in captured.err
    data = json.loads((proj / "plan.json").read_text(encoding="utf-8"))
    assert data["format_version"] == 1
    [table] = data["tables"]
    assert table["table"] == "sales.orders" and table["observed_version"] == 0
    assert table["spec_hash"].startswith("sha256:")
    assert [a["action"] for a in table["actions"]] == ["AddColumns"]
    assert plan_from_json(data).plan_id == data["plan_id"]


def test_plan_formats(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"] == {"create": 1, "change": 0, "refused": 0}
    assert run(["plan", "--format", "markdown", "specs/orders.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### tablespec plan") and "<details>" in out and "\x1b[" not in out


def test_plan_of_a_folder_that_is_not_a_table_exits_1(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = proj / "warehouse" / "sales" / "orders"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("a\n", encoding="utf-8")
    assert run(["plan"]) == 1
    assert "no Delta log" in capsys.readouterr().err


# --- diff OLD NEW ----------------------------------------------------------------------------------------


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "orders.yaml").write_text(text, encoding="utf-8")
    return folder


def test_diff_old_new(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(proj / "old", spec_text())
    same = write(proj / "same", spec_text())
    assert run(["diff", str(old), str(same), "--detailed-exitcode"]) == 0
    assert "No changes" in capsys.readouterr().out
    added = write(proj / "added", spec_text(extra_columns="  - name: note\n    type: string\n"))
    assert run(["diff", str(old), str(added)]) == 0
    assert run(["diff", str(old / "orders.yaml"), str(added / "orders.yaml"), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "+ column note string" in out and "version" not in out


def test_diff_fail_on(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(proj / "old", spec_text(id_type="integer", extra_columns="  - name: legacy\n    type: string\n"))
    widened = write(proj / "widened", spec_text(id_type="long", extra_columns="  - name: legacy\n    type: string\n"))
    dropped = write(proj / "dropped", spec_text(id_type="integer"))
    assert run(["diff", str(old), str(widened), "--fail-on", "destructive"]) == 0  # a widening is a rewrite
    assert run(["diff", str(old), str(widened), "--fail-on", "rewrite"]) == 4
    assert run(["diff", str(old), str(dropped), "--fail-on", "destructive"]) == 4
    assert run(["diff", str(old), str(dropped), "--fail-on", "unsupported"]) == 0
    out = capsys.readouterr().out
    assert "! drop column legacy string [destructive]" in out
    assert run(["diff", str(old), str(dropped), "--fail-on", "everything"]) == 64


def test_diff_usage_errors(proj: Path) -> None:
    assert run(["diff"]) == 64
    assert run(["diff", "specs"]) == 64
    assert run(["diff", "a", "b", "--against", "HEAD"]) == 64


# --- diff --against GIT_REF ------------------------------------------------------------------------------


def git(proj: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=proj, check=True,
                   capture_output=True)


def test_diff_against_a_git_ref(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(proj, "init", "-q")
    git(proj, "add", ".")
    git(proj, "commit", "-q", "-m", "specs")
    assert run(["diff", "--against", "HEAD", "--detailed-exitcode"]) == 0
    # drop a column and add another in the working tree
    (proj / "specs" / "orders.yaml").write_text(
        spec_text().replace("  - name: amount\n    type: decimal(18,2)\n", "  - name: total\n    type: double\n"),
        encoding="utf-8")
    capsys.readouterr()
    assert run(["diff", "--against", "HEAD", "specs", "--fail-on", "destructive"]) == 4
    out = capsys.readouterr().out
    assert "! drop column amount decimal(18,2) [destructive]" in out and "+ column total double" in out
    assert run(["diff", "--against", "HEAD", "--format", "json", "--detailed-exitcode"]) == 2
    assert run(["diff", "--against", "no-such-ref"]) == 64


def test_diff_against_a_ref_without_the_specs_creates_everything(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(proj, "init", "-q")
    (proj / "README").write_text("x", encoding="utf-8")
    git(proj, "add", "README")
    git(proj, "commit", "-q", "-m", "no specs yet")
    assert run(["diff", "--against", "HEAD", "--detailed-exitcode"]) == 2
    assert "Plan: 1 to create" in capsys.readouterr().out


def test_diff_outside_git_is_a_usage_error(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["diff", "--against", "HEAD"]) == 64
    assert "git" in capsys.readouterr().err


def test_diff_imports_nothing_heavy(proj: Path) -> None:
    """Spec-vs-spec needs no storage, so it starts as fast as validate."""
    old = write(proj / "old", spec_text())
    code = ("import sys\nfrom tablespec.cli import run\n"
            f"code = run(['diff', {str(old)!r}, 'specs'])\n"
            "print([m for m in ('deltalake', 'polars', 'pyarrow') if m in sys.modules]); sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=proj, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
