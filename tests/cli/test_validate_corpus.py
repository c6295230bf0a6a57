"""`tablespec validate` on a corpus of broken specs: each must exit 3 and point at the right line.

Every case is a YAML text, the 1-based line the problem must be reported at, and a piece of the
message. The base spec is valid; most cases change one thing in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tablespec.cli import run

BASE = """\
apiVersion: tablespec/v1
kind: Table
name: sales.orders
location: sales/orders
columns:
  - name: order_id
    type: long
    nullable: false
  - name: amount
    type: decimal(18,2)
  - name: dt
    type: date
partitioned_by: [dt]
retention:
  deleted_files: 7 days
  log: 30 days
sources:
  - name: daily
    path: data/*.csv
    mode: merge
    merge:
      keys: [order_id]
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


CASES: list[tuple[str, str, int, str]] = [
    ("bad_yaml_indent", "apiVersion: tablespec/v1\nkind: Table\n  name: x\n", 3, "not valid YAML"),
    ("bad_yaml_flow", edit("partitioned_by: [dt]", "partitioned_by: [dt"), 14, "not valid YAML"),
    ("tab_indent", edit("    type: long", "\ttype: long"), 7, "not valid YAML"),
    ("not_a_mapping", "- just\n- a list\n", 1, "must be a mapping"),
    ("wrong_api_version", edit("tablespec/v1", "tablespec/v2"), 1, "apiVersion must be 'tablespec/v1'"),
    ("wrong_kind", edit("kind: Table", "kind: View"), 2, "kind must be 'Table'"),
    ("missing_name", edit("name: sales.orders\n", ""), 1, "missing required key 'name'"),
    ("missing_location", edit("location: sales/orders\n", ""), 1, "missing required key 'location'"),
    ("missing_columns", BASE.split("columns:")[0], 1, "missing required key 'columns'"),
    ("empty_columns", edit("columns:\n  - name: order_id\n    type: long\n    nullable: false\n  - name: amount\n    type: decimal(18,2)\n  - name: dt\n    type: date\npartitioned_by: [dt]\n", "columns: []\n"), 5, "columns must not be empty"),
    ("unknown_top_key", edit("kind: Table\n", "kind: Table\nowner: bob\n"), 3, "unknown key 'owner'"),
    ("misspelled_key", edit("partitioned_by", "partition_by"), 13, "did you mean 'partitioned_by'"),
    ("unknown_column_key", edit("    nullable: false", "    nulable: false"), 8, "unknown key 'nulable'"),
    ("name_bad_chars", edit("name: sales.orders", "name: sales orders!"), 3, "not allowed"),
    ("name_wrong_type", edit("name: sales.orders", "name: 42"), 3, "name must be a string"),
    ("nullable_not_bool", edit("nullable: false", "nullable: nope"), 8, "nullable must be true or false"),
    ("unknown_type", edit("type: long", "type: lnog"), 7, "unknown type 'lnog'"),
    ("unclosed_array_type", edit("type: date", "type: array<string"), 12, "bad type"),
    ("decimal_precision", edit("decimal(18,2)", "decimal(40,2)"), 10, "precision 40"),
    ("decimal_scale", edit("decimal(18,2)", "decimal(5,7)"), 10, "scale 7"),
    ("bad_map_key", edit("type: date", "type: map<array<int>,string>"), 12, "map keys"),
    ("dup_struct_field", edit("type: date", "type: struct<a:int,A:long>"), 12, "appears twice"),
    ("dup_column", edit("  - name: dt\n", "  - name: ORDER_ID\n"), 11, "declared twice"),
    ("partition_missing", edit("partitioned_by: [dt]", "partitioned_by: [day]"), 13, "partition column 'day' is not one of the columns"),
    ("partition_complex", edit("    type: date", "    type: array<int>"), 13, "cannot be a partition column"),
    ("property_not_string", edit("retention:", "properties:\n  delta.appendOnly: true\nretention:"), 15, "quote the value"),
    ("retention_property_twice", edit("retention:", "properties:\n  delta.logRetentionDuration: interval 30 days\nretention:"), 15, "also set by retention.log"),
    ("bad_duration", edit("deleted_files: 7 days", "deleted_files: 7 dayz"), 15, "unknown unit 'dayz'"),
    ("bad_duration_words", edit("log: 30 days", "log: forever"), 16, "cannot read duration"),
    ("retention_unknown_key", edit("  log: 30 days", "  logs: 30 days"), 16, "unknown key 'logs'"),
    ("merge_key_missing", edit("keys: [order_id]", "keys: [id]"), 22, "merge key 'id' is not one of the columns"),
    ("merge_without_block", edit("    merge:\n      keys: [order_id]\n", ""), 18, "missing required key 'merge'"),
    ("bad_mode", edit("mode: merge", "mode: upsert"), 20, "expected one of create | append | overwrite | merge"),
    ("bad_when_matched", edit("      keys: [order_id]", "      keys: [order_id]\n      when_matched: replace"), 23, "when_matched"),
    ("unknown_format", edit("path: data/*.csv", "path: data/*.xlsx"), 19, "cannot tell the format"),
    ("source_missing_path", edit("    path: data/*.csv\n", ""), 18, "missing required key 'path'"),
    ("dup_source_name", edit("sources:\n", "sources:\n  - name: daily\n    path: data/a.csv\n"), 20, "declared twice"),
    ("dup_key_yaml", edit("kind: Table\n", "kind: Table\nkind: Table\n"), 3, "appears twice"),
    ("constraint_bad_name", edit("retention:", "constraints:\n  1bad: amount > 0\nretention:"), 15, "not allowed"),
    ("constraint_empty", edit("retention:", "constraints:\n  positive: ''\nretention:"), 15, "must not be empty"),
    ("constraint_case_dup", edit("retention:", "constraints:\n  positive: amount > 0\n  POSITIVE: amount >= 0\nretention:"), 16, "same name"),
    ("missing_env_var", edit("location: sales/orders", "location: ${TABLESPEC_TEST_UNSET_VAR}/orders"), 4, "TABLESPEC_TEST_UNSET_VAR is not set"),
    ("bad_env_reference", edit("location: sales/orders", "location: ${1abc}/orders"), 4, "not a valid variable reference"),
    ("vacuum_without_deleted", edit("  deleted_files: 7 days\n", "  vacuum: true\n"), 15, "needs retention.deleted_files"),
    ("unknown_csv_option", edit("    mode: merge\n", "    mode: merge\n    options: {delimiter: ';', headers: true}\n"), 21, "unknown csv option 'headers'"),
    ("all_partition_columns", edit("partitioned_by: [dt]", "partitioned_by: [order_id, amount, dt]"), 13, "every column is a partition column"),
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TABLESPEC_TEST_UNSET_VAR", raising=False)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)


def test_base_spec_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "orders.yaml").write_text(BASE)
    assert run(["validate", "orders.yaml"]) == 0
    assert "Valid: 1 table(s)" in capsys.readouterr().out


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case", "text", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_invalid_spec(case: str, text: str, line: int, message: str, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "specs" / f"{case}.yaml"
    path.parent.mkdir()
    path.write_text(text)
    assert run(["validate", "specs"]) == 3
    err = capsys.readouterr().err
    expected_prefix = f"specs/{case}.yaml:{line}:"
    blocks = err.replace("\n    hint:", " hint:").splitlines()  # a problem's hint belongs to its line
    matching = [ln for ln in blocks if ln.startswith(expected_prefix) and message in ln]
    assert matching, f"expected a line starting {expected_prefix!r} containing {message!r}; got:\n{err}"


@pytest.mark.parametrize(("case", "text", "line", "message"), CASES[:5], ids=[c[0] for c in CASES[:5]])
def test_invalid_spec_json(case: str, text: str, line: int, message: str, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(text)
    assert run(["validate", "--format", "json", "s.yaml"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["format_version"] == 1
    assert any(p["line"] == line and message in p["message"] and p["file"] == "s.yaml" for p in report["problems"])


def test_each_missing_required_key_is_reported_once(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """jsonschema reports "required" once per missing key, each listing every required key: a
    spec missing four keys printed sixteen lines."""
    from tablespec.cli import run

    (tmp_path / "a.yaml").write_text("table: x\ncolumns: [{name: id, type: long}]\n")
    assert run(["validate", str(tmp_path / "a.yaml")]) == 3
    err = capsys.readouterr().err
    for key in ("apiVersion", "kind", "name", "location"):
        assert err.count(f"missing required key {key!r}") == 1, err
