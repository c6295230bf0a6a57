"""Issue 15.3 (first slice): ``expectations:`` evaluated on every loaded row before the write —
``fail`` (the default: nothing written, the rows named), ``drop`` (skipped, counted) and ``warn``
(loaded, counted); the counts are in the apply report. Quarantine is not built yet."""

from __future__ import annotations

import json

import pytest
from fixtures.upkeep import Project, lab_fixture

SPEC = """\
expectations:
  has_value: {{check: "v IS NOT NULL", on_fail: {v}}}
  sane_day: {{check: "dt >= '2024-01-01'", on_fail: {dt}}}
constraints:
  positive: id > 0
sources:
  - name: drop
    format: csv
    path: ../data/
    mode: {mode}
{merge}"""
ROWS = "id,v,dt\n1,a,2024-01-01\n2,,2024-01-02\n3,c,2023-12-31\n4,d,2024-01-03\n-5,e,2023-01-01\n"


def spec(v: str = "drop", dt: str = "warn", mode: str = "append") -> str:
    merge = "    merge: {keys: [id]}\n" if mode == "merge" else ""
    return SPEC.format(v=v, dt=dt, mode=mode, merge=merge)


lab = lab_fixture(spec())


def ids(lab: Project) -> list[int]:
    return sorted(lab.table.read().collect()["id"].to_list())


def test_drop_and_warn_are_counted_and_the_checks_run_on_what_is_left(lab: Project) -> None:
    """Row -5 is dropped by neither expectation (v is there; its day only warns) and breaks the
    CHECK: so the CHECK sees rows after the drops, and the load fails on it alone."""
    (lab.root / "data" / "a.csv").write_text(ROWS.replace("-5,e,2023-01-01\n", ""))
    code, out = lab.cli("apply", "--auto-approve", "--format", "json")
    assert code == 0, out
    [load] = json.loads(out[out.index("{"):])["tables"][0]["loads"]
    assert load["rows_read"] == 4 and load["inserted"] == 3
    assert [tuple(e) for e in load["expectations"]] == [("has_value", "drop", 1), ("sane_day", "warn", 1)]
    assert ids(lab) == [1, 3, 4]  # 2 dropped (no v); 3 loaded with a warning


def test_the_text_report_says_what_each_expectation_did(lab: Project) -> None:
    (lab.root / "data" / "a.csv").write_text(ROWS.replace("-5,e,2023-01-01\n", ""))
    out = lab.apply()
    assert "expectation has_value: 1 row dropped" in out and "expectation sane_day: 1 row failed, loaded (warn)" in out


def test_a_row_a_drop_removes_never_reaches_the_check(lab: Project) -> None:
    lab.spec(spec(v="drop", dt="drop"))
    (lab.root / "data" / "a.csv").write_text(ROWS)
    lab.apply()
    assert ids(lab) == [1, 4]


def test_fail_names_the_rows_and_writes_nothing(lab: Project) -> None:
    lab.spec(spec(v="fail", dt="warn"))
    (lab.root / "data" / "a.csv").write_text(ROWS)
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 1, out
    assert "a.csv: expectation 'has_value' (v IS NOT NULL) fails for 1 row(s): row 2 (line 3): v=NULL" in out, out
    assert "Nothing was written" in out
    assert ids(lab) == []


def test_a_merge_applies_expectations_too(lab: Project) -> None:
    lab.spec(spec(v="drop", dt="drop", mode="merge"))
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n2,,2024-01-02\n")
    lab.apply()
    assert ids(lab) == [1]


@pytest.mark.parametrize(("check", "needle"), [
    ("hash(v) > 0", "tablespec cannot evaluate on loaded rows"),
    ("vv IS NOT NULL", "'vv', which is not a column"),
    ("v IS NOT", "not valid SQL"),
])
def test_validate_refuses_an_expectation_it_cannot_evaluate(lab: Project, check: str, needle: str) -> None:
    lab.spec(spec().replace('"v IS NOT NULL"', json.dumps(check)))
    code, out = lab.cli("validate")
    assert code == 3 and "specs/events.yaml:10:" in out and needle in out, out
