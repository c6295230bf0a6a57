"""`tablespec validate` on ``maintenance:`` and on the feature guard (issue 14).

Sizes take B, KiB, MiB, GiB (and KB, MB, GB, decimal); a bad value is reported at its line with
what is accepted. Properties that delta-rs 1.6 accepts but cannot honour (it stores the key and
leaves the protocol without the feature, or fails at apply with a kernel parse error) are refused
at validate, at the property's line, with the feature named and the reason.
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
  - name: customer_id
    type: long
  - name: dt
    type: date
partitioned_by: [dt]
maintenance:
  optimize:
    target_file_size: 128 MiB
    min_small_files: 8
    z_order: [customer_id]
  checkpoint_interval: 50
  log_cleanup: true
"""
# line numbers in BASE
OPTIMIZE_LINE, TARGET_LINE, MIN_LINE, ZORDER_LINE, CHECKPOINT_LINE, CLEANUP_LINE = 14, 15, 16, 17, 18, 19


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)


def _validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "specs" / "orders.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    code = run(["validate", "specs"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _problem_at(out: str, line: int, message: str) -> bool:
    blocks = out.replace("\n    hint:", " hint:").splitlines()
    return any(b.startswith(f"specs/orders.yaml:{line}:") and message in b for b in blocks)


def test_base_maintenance_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, BASE, capsys)
    assert code == 0, out


@pytest.mark.parametrize("size", ["128 MiB", "1 GB", "1GiB", "512 KiB", "1048576 B", "64 MB", "2 gib", "100 kb", "1.5 GiB"])
def test_sizes_in_every_accepted_unit(size: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, edit("128 MiB", size), capsys)
    assert code == 0, out


def test_a_plain_number_of_bytes_is_a_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, edit("128 MiB", "134217728"), capsys)
    assert code == 0, out


def test_minimal_maintenance_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = BASE.split("maintenance:")[0]
    for block in ("maintenance:\n  log_cleanup: false\n", "maintenance:\n  optimize: {}\n",
                  "maintenance:\n  checkpoint_interval: 10\n", "maintenance: {}\n"):
        code, out = _validate(tmp_path, head + block, capsys)
        assert code == 0, (block, out)


BAD: list[tuple[str, str, int, str]] = [
    ("unknown_unit", edit("128 MiB", "128 parsecs"), TARGET_LINE, "unknown size unit 'parsecs'"),
    ("rate_not_size", edit("128 MiB", "128 MB/s"), TARGET_LINE, "size"),
    ("no_number", edit("128 MiB", "MiB"), TARGET_LINE, "size"),
    ("zero_size", edit("128 MiB", "0 B"), TARGET_LINE, "greater than 0"),
    ("negative_size", edit("128 MiB", "-1 MiB"), TARGET_LINE, "size"),
    ("size_as_list", edit("128 MiB", "[128, MiB]"), TARGET_LINE, "size"),
    ("min_small_files_one", edit("min_small_files: 8", "min_small_files: 1"), MIN_LINE, "at least 2"),
    ("min_small_files_word", edit("min_small_files: 8", "min_small_files: eight"), MIN_LINE, "must be an integer"),
    ("z_order_empty", edit("z_order: [customer_id]", "z_order: []"), ZORDER_LINE, "must not be empty"),
    ("z_order_unknown", edit("z_order: [customer_id]", "z_order: [customer]"), ZORDER_LINE, "z_order column 'customer' is not one of the columns"),
    ("z_order_partition", edit("z_order: [customer_id]", "z_order: [dt]"), ZORDER_LINE, "partition column"),
    ("z_order_twice", edit("z_order: [customer_id]", "z_order: [customer_id, CUSTOMER_ID]"), ZORDER_LINE, "twice"),
    ("checkpoint_zero", edit("checkpoint_interval: 50", "checkpoint_interval: 0"), CHECKPOINT_LINE, "at least 1"),
    ("checkpoint_text", edit("checkpoint_interval: 50", "checkpoint_interval: often"), CHECKPOINT_LINE, "must be an integer"),
    ("log_cleanup_word", edit("log_cleanup: true", "log_cleanup: yes please"), CLEANUP_LINE, "true or false"),
    ("unknown_maintenance_key", edit("  log_cleanup: true", "  vacuum_log: true"), CLEANUP_LINE, "unknown key 'vacuum_log'"),
    ("misspelled_optimize", edit("  optimize:", "  optimise:"), OPTIMIZE_LINE, "did you mean 'optimize'"),
    ("unknown_optimize_key", edit("    min_small_files: 8", "    min_files: 8"), MIN_LINE, "unknown key 'min_files'"),
    ("maintenance_not_mapping", BASE.split("maintenance:")[0] + "maintenance: [optimize]\n", 13, "maintenance"),
    ("checkpoint_property_twice",
     edit("maintenance:", "properties:\n  delta.checkpointInterval: \"10\"\nmaintenance:"), 14,
     "also set by maintenance.checkpoint_interval"),
]


@pytest.mark.parametrize(("case", "text", "line", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_maintenance_values(case: str, text: str, line: int, message: str, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _validate(tmp_path, text, capsys)
    assert code == 3, out
    assert _problem_at(out, line, message), f"expected specs/orders.yaml:{line}: ... {message!r}; got:\n{out}"


def test_bad_size_in_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.yaml").write_text(edit("128 MiB", "12 furlongs"))
    assert run(["validate", "--format", "json", "s.yaml"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert any(p["line"] == TARGET_LINE and "furlongs" in p["message"] for p in report["problems"])


# --- feature guard ------------------------------------------------------------------------------

FEATURES = [
    ("delta.enableRowTracking", "true", "rowTracking"),
    ("delta.feature.rowTracking", "supported", "rowTracking"),
    ("delta.feature.domainMetadata", "supported", "domainMetadata"),
    ("delta.feature.identityColumns", "supported", "identityColumns"),
    ("delta.enableIcebergCompatV1", "true", "icebergCompatV1"),
    ("delta.feature.icebergCompatV1", "supported", "icebergCompatV1"),
    ("delta.enableTypeWidening", "true", "typeWidening"),
    ("delta.feature.typeWidening", "supported", "typeWidening"),
    ("delta.feature.clustering", "supported", "clustering"),
]


@pytest.mark.parametrize(("key", "value", "feature"), FEATURES, ids=[f[0] for f in FEATURES])
def test_feature_guard_refuses_what_delta_rs_cannot_write(key: str, value: str, feature: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = edit("maintenance:", f"properties:\n  owner: sales\n  {key}: \"{value}\"\nmaintenance:")
    code, out = _validate(tmp_path, text, capsys)
    assert code == 3, out
    assert _problem_at(out, 15, feature), out  # the line of the property
    assert "delta-rs" in out


def test_feature_guard_lets_a_disabled_feature_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = edit("maintenance:", "properties:\n  delta.enableRowTracking: \"false\"\nmaintenance:")
    code, out = _validate(tmp_path, text, capsys)
    assert code == 0, out


def test_plan_and_apply_refuse_a_guarded_feature_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The guard is part of validation, so every command that reads specs stops at it (exit 3)."""
    text = edit("maintenance:", "properties:\n  delta.enableTypeWidening: \"true\"\nmaintenance:")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "orders.yaml").write_text(text)
    for command in (["plan"], ["apply", "--auto-approve"]):
        assert run(command) == 3
        assert "typeWidening" in capsys.readouterr().err
    assert not (tmp_path / "warehouse").exists()


def test_schema_describes_maintenance() -> None:
    """The packaged JSON Schema (what `tablespec schema` prints for editors) knows the block."""
    from importlib.resources import files

    schema = json.loads((files("tablespec") / "schema" / "tablespec-v1.json").read_text(encoding="utf-8"))
    maintenance = schema["properties"]["maintenance"]
    text = json.dumps(maintenance)
    for key in ("optimize", "target_file_size", "min_small_files", "z_order", "checkpoint_interval", "log_cleanup"):
        assert key in text
