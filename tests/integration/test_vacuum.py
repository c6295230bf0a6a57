"""Vacuum through apply: what goes, what stays, and when it is destructive.

The rule under test (``actions.Vacuum``, ``observe.unsafe_files``): apply vacuums files removed
longer ago than ``retention.deleted_files``. That vacuum is *destructive* - refused without
``--allow destructive`` - when some version inside the log retention window (``retention.log``)
still references one of those files, because time travel to that version would break. Files
removed more recently than ``deleted_files`` always stay, and time travel to versions that use
them keeps working.

Retentions of a couple of seconds stand in for days so the tests run in seconds.
"""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from tablespec.cli import run
from tablespec.delta.table import DeltaTable, NoSuchVersion

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: lab.readings
location: lab/readings
columns:
  - {{name: id, type: long}}
  - {{name: value, type: string}}
retention:
  deleted_files: 2 seconds
  log: {log}
sources:
  - name: latest
    path: ../data/readings.csv
    mode: overwrite
    options: {{header: true}}
"""
PAST_RETENTION = 2.5  # seconds to wait so that removed files are older than deleted_files


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "warehouse")
    return f"s3://{request.getfixturevalue('s3_bucket')}/warehouse"


class Lab:
    def __init__(self, root: Path, warehouse: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.warehouse, self.capsys = root, warehouse, capsys
        for folder in ("specs", "data"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        (root / "tablespec.yaml").write_text(f"warehouse: {warehouse}\n")

    def spec(self, log: str) -> None:
        (self.root / "specs" / "readings.yaml").write_text(textwrap.dedent(SPEC.format(log=log)))

    def data(self, *values: str) -> None:
        lines = ["id,value"] + [f"{i},{v}" for i, v in enumerate(values, 1)]
        (self.root / "data" / "readings.csv").write_text("\n".join(lines) + "\n")

    def cli(self, *args: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = run(list(args))
        out, err = self.capsys.readouterr()
        return code, out + err

    @property
    def table(self) -> DeltaTable:
        if "://" in self.warehouse:
            return DeltaTable(f"{self.warehouse}/lab/readings")
        return DeltaTable(os.path.join(self.warehouse, "lab", "readings"), {})

    def values(self, **at: object) -> list[str]:
        return self.table.read(**at).sort("id").collect()["value"].to_list()  # type: ignore[arg-type]


@pytest.fixture
def lab(tmp_path: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Lab:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    root = tmp_path / "project"
    lab = Lab(root, warehouse, capsys)
    monkeypatch.chdir(root)
    return lab


def _load(lab: Lab, *values: str) -> int:
    lab.data(*values)
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 0, out
    return lab.table.version


def test_vacuum_keeps_files_inside_the_retention_window(lab: Lab) -> None:
    """log retention as short as deleted_files: no version in the window needs the old files, so
    the vacuum is an ordinary (write) action; it removes only files past deleted_files."""
    lab.spec(log="2 seconds")
    first = _load(lab, "a", "b")
    second = _load(lab, "c", "d")  # first's files removed now
    time.sleep(PAST_RETENTION)
    lab.data("e", "f")  # this apply removes second's files, which stay (too recent)
    code, plan = lab.cli("plan")
    assert code == 0 and "vacuum 1 file" in plan and "0 refused" in plan
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 0, out
    assert "vacuum removed 1 file(s)" in out
    assert lab.values() == ["e", "f"]
    assert lab.values(version=second) == ["c", "d"]  # kept: removed less than deleted_files ago
    with pytest.raises(NoSuchVersion):
        lab.values(version=first)  # vacuumed, outside the log retention window anyway
    history = lab.table.history(3)
    assert any((c.operation or "").startswith("VACUUM") and c.metadata.get("tablespec.plan_id") for c in history)


def test_vacuum_that_would_break_time_travel_is_destructive(lab: Lab) -> None:
    """log retention 30 days: the first version is still in the window and reads the files the
    vacuum would delete, so apply refuses (exit 4) until --allow destructive."""
    lab.spec(log="30 days")
    first = _load(lab, "a", "b")
    _load(lab, "c", "d")
    time.sleep(PAST_RETENTION)
    code, plan = lab.cli("plan")
    assert "vacuum" in plan.lower() and "time travel" in plan
    version = lab.table.version
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 4, out
    assert "--allow destructive" in out and "time travel" in out
    assert lab.table.version == version
    assert lab.values(version=first) == ["a", "b"]  # nothing deleted
    code, out = lab.cli("apply", "--auto-approve", "--allow", "destructive")
    assert code == 0, out
    with pytest.raises(NoSuchVersion):
        lab.values(version=first)
    assert lab.values() == ["c", "d"]
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_vacuum_never_runs_shorter_than_the_tables_own_retention(lab: Lab) -> None:
    """Another writer raised delta.deletedFileRetentionDuration after the plan: the planned vacuum
    (2 seconds) would now undercut the table's own promise, so it is refused and deletes nothing."""
    from tablespec import apply
    from tablespec.config import load_config
    from tablespec.model.actions import Vacuum
    from tablespec.model.plan import Plan, TablePlan
    from tablespec.specfiles.loader import load_specs

    lab.spec(log="2 seconds")
    first = _load(lab, "a", "b")
    _load(lab, "c", "d")
    time.sleep(PAST_RETENTION)
    lab.table.set_properties({"delta.deletedFileRetentionDuration": "interval 1 days"})
    config = load_config()
    [spec] = load_specs(config=config)
    planned = Plan(tables=(TablePlan(spec.name, spec.uri, lab.table.version, spec.spec_hash,
                                     (Vacuum(spec.name, retention_seconds=2, files=1, bytes=1),)),))
    report = apply(config=config, plan=planned.with_id())
    [table] = report.tables
    assert table.status == "refused" and "shorter than" in table.error
    assert lab.values(version=first) == ["a", "b"]  # nothing deleted
