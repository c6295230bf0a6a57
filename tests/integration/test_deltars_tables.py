"""The golden check: every delta-rs test table (logs only, tests/fixtures/deltars/) imports to a
spec that validates and plans clean against the same table, and nothing writes to the table.

49 of the 50 round-trip, the variant tables included; ``simple_table_features`` has an invalid
protocol that delta-rs refuses to open, and import says so (exit 1, naming the table).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fixtures.helpers import tree

from tablespec.cli import run

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "deltars"
TABLES = sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.rglob("_delta_log"))
INVALID = {"simple_table_features"}


def test_the_fixture_holds_fifty_tables() -> None:
    assert len(TABLES) == 50


def _import(tmp_path: Path, table: str, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str, int, str]:
    uri = tmp_path / "tables" / table
    shutil.copytree(ROOT / table, uri)
    project = tmp_path / "project"
    (project / "specs").mkdir(parents=True)
    (project / "tablespec.yaml").write_text("warehouse: wh\n")
    name = "golden." + table.replace("/", "_").replace("-", "_")
    capsys.readouterr()
    cwd = os.getcwd()
    os.chdir(project)
    try:
        code = run(["import", str(uri), "--name", name, "--out", "specs/t.yaml"])
    finally:
        os.chdir(cwd)
    out, err = capsys.readouterr()
    return project, str(uri), code, out + err


def _cli(project: Path, *args: str) -> tuple[int, str]:
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return run(list(args)), ""
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("table", sorted(set(TABLES) - INVALID))
def test_import_then_plan_is_clean(tmp_path: Path, table: str, capsys: pytest.CaptureFixture[str]) -> None:
    project, uri, code, output = _import(tmp_path, table, capsys)
    before = tree(uri)
    assert code == 0, output
    assert _cli(project, "validate")[0] == 0, capsys.readouterr()
    code, _ = _cli(project, "plan", "--detailed-exitcode")
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert tree(uri) == before


@pytest.mark.parametrize("table", sorted(INVALID))
def test_a_table_with_an_invalid_protocol_is_refused_by_name(tmp_path: Path, table: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    project, uri, code, output = _import(tmp_path, table, capsys)
    assert code == 1
    assert "protocol" in output and "golden.simple_table_features" in output
    assert not (project / "specs" / "t.yaml").exists()


@pytest.mark.parametrize("table", [t for t in TABLES if "variant" in t])
def test_variant_columns_are_imported_as_variant(tmp_path: Path, table: str, capsys: pytest.CaptureFixture[str]) -> None:
    project, _, code, output = _import(tmp_path, table, capsys)
    assert code == 0, output
    text = (project / "specs" / "t.yaml").read_text()
    assert "type: variant" in text
    assert "array<variant>" in text and "struct<v:variant>" in text and "map<string,variant>" in text
