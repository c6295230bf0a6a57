"""Issue 13.4: a zero deleted-file retention means zero (and needs ``duration_check: false``), and
plan previews the vacuum at the retention the same apply sets, so a lowered retention converges in
one apply: after any successful apply, ``plan`` shows no changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.upkeep import Project, project_for

SPEC = """\
retention:
  deleted_files: {retention}
{extra}sources:
  - name: snap
    path: ../data/snap.csv
    mode: overwrite
"""


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lab(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Project:
    project = project_for(request, tmp_path, monkeypatch, capsys, SPEC.format(retention="7 days", extra=""))
    for day in ("2024-01-01", "2024-01-02"):  # two overwrites: the first file is removed (a tombstone)
        (project.root / "data" / "snap.csv").write_text(f"id,v,dt\n1,a,{day}\n")
        project.apply()
    return project


def test_zero_retention_needs_the_explicit_override(lab: Project) -> None:
    lab.spec(SPEC.format(retention="0 days", extra=""))
    code, out = lab.cli("validate")
    assert code == 3 and "specs/events.yaml:10:" in out and "duration_check: false" in out, out


def test_zero_retention_vacuums_everything_removed_in_one_apply(lab: Project) -> None:
    """7 days lowered to 0: the plan previews at 0 (it used the table's old 7 days, so the
    vacuum came one apply late), and one apply converges."""
    lab.spec(SPEC.format(retention="0 days", extra="  duration_check: false\n"))
    code, out = lab.cli("validate")
    assert code == 0 and "warning" in out and "ending time travel" in out, out
    code, out = lab.cli("plan")
    assert "vacuum 1 file" in out and "more than 0 seconds" in out, out  # not 7 days

    lab.apply("--allow", "destructive")
    assert len(lab.live_files()) == 1
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out
