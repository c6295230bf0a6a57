"""Issue 15.2: CHECK constraints evaluated by tablespec on the typed rows of a load, before
delta-rs: a violation names the file, row and line, the constraint and its expression, and the
offending values; nothing is written; NULL violates, as in Delta."""

from __future__ import annotations

from fixtures.upkeep import Project, lab_fixture

SPEC = """\
constraints:
  known_id: id > 0
  real_day: "dt IS NULL OR dt >= '2000-01-01'"
  no_test: "v NOT LIKE 'test%'"
sources:
  - name: drop
    format: csv
    path: ../data/
    mode: {mode}
{merge}"""
MERGE = "    merge: {keys: [id]}\n"


lab = lab_fixture(SPEC.format(mode="append", merge=""))


def test_a_violation_is_named_and_nothing_is_written(lab: Project) -> None:
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n-2,b,2024-01-02\n3,test_c,1999-12-31\n4,,\n")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "a.csv: constraint 'known_id' CHECK (id > 0) fails for 1 row(s): row 2 (line 3): id='-2'" in out, out
    assert "constraint 'real_day'" in out and "row 3 (line 4): dt='1999-12-31'" in out, out
    # NULL violates, as Delta says: row 4 has no v
    assert "constraint 'no_test' CHECK (v NOT LIKE 'test%') fails for 2 row(s)" in out and "v=NULL" in out, out
    assert "Nothing was written" in out and "Invalid data found" not in out
    assert lab.table.read().collect().height == 0


def test_good_rows_load(lab: Project) -> None:
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n2,b,\n")
    lab.apply()
    assert lab.table.read().collect().height == 2


def test_a_merge_checks_its_rows_too(lab: Project) -> None:
    lab.spec(SPEC.format(mode="merge", merge=MERGE))
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n")
    lab.apply()
    (lab.root / "data" / "b.csv").write_text("id,v,dt\n1,test_a,2024-01-01\n")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1 and "b.csv: constraint 'no_test'" in out and "row 1 (line 2)" in out, out
    assert lab.table.read().collect()["v"].to_list() == ["a"]


def test_a_check_tablespec_cannot_evaluate_is_still_enforced_by_delta_rs(lab: Project) -> None:
    lab.spec(SPEC.format(mode="append", merge="").replace("known_id: id > 0", "known_id: id > 0 AND trim(v) <> 'zzz'"))
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n-1,a,2024-01-01\n")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out  # delta-rs's own check: nothing written either
    assert lab.table.read().collect().height == 0


def test_a_new_check_existing_rows_break_is_refused_in_the_plan(lab: Project) -> None:
    """Issue 15.1: the plan scans the table for rows a new CHECK would refuse; apply refuses the
    table (exit 4) before anything of it is committed, instead of failing half-way at delta-rs."""
    lab.spec(SPEC.format(mode="append", merge="").replace("  no_test: \"v NOT LIKE 'test%'\"\n", ""))
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n2,test_b,2024-01-02\n3,test_c,\n")
    lab.apply()
    version = lab.table.version

    lab.spec(SPEC.format(mode="append", merge="").replace("constraints:", "description: changed\nconstraints:"))
    code, out = lab.cli("plan")
    assert "constraint no_test CHECK (v NOT LIKE 'test%') [unsupported]" in out, out
    assert "2 row(s) already in the table break it" in out and "v='test_b'" in out, out
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 4, out
    assert lab.table.version == version  # not even the description was committed
    assert lab.table.read().collect().height == 3
