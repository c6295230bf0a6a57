"""Checkpoints and log cleanup declared in the spec (``maintenance.checkpoint_interval``,
``maintenance.log_cleanup``), the order of a table's upkeep actions, and ``show``'s health section.

Log cleanup follows delta-rs's rule (``cleanup_metadata``): commit files older than
``delta.logRetentionDuration`` go, but only those before a checkpoint at or below the oldest
commit that is still inside the retention, so the table stays reconstructable from there. Commit
files' modification times stand in for age (Delta's definition); the tests set them back in time.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fixtures.upkeep import Project, kinds, only

LOG = """\
retention:
  log: 30 days
maintenance:
  checkpoint_interval: 5
  log_cleanup: true
"""
DAY = 86400


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Project:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    root = tmp_path / "project"
    project = Project(root, str(tmp_path / "warehouse"), capsys)
    monkeypatch.chdir(root)
    return project


def _age(lab: Project, versions: range, days: float) -> None:
    """Make these commit files look ``days`` old (their modification time is their age)."""
    stamp = time.time() - days * DAY
    for v in versions:
        os.utime(Path(lab.uri) / "_delta_log" / f"{v:020d}.json", (stamp, stamp))


def _commits(lab: Project) -> list[int]:
    names = os.listdir(Path(lab.uri) / "_delta_log")
    return sorted(int(n[:20]) for n in names if n.endswith(".json") and n[:20].isdigit())


def _read(lab: Project, version: int) -> tuple[int, str]:
    return lab.cli("read", "lab.events", "--version", str(version), "--format", "json")


def _grow(lab: Project, commits: int) -> None:
    for i in range(commits):
        lab.append(f"2024-01-{i % 3 + 1:02d}", rows=2)


def test_log_cleanup_removes_only_expired_entries_and_time_travel_to_kept_versions_works(lab: Project) -> None:
    lab.spec(LOG)
    lab.apply()  # version 0 carries delta.checkpointInterval = 5
    assert lab.table.properties["delta.checkpointInterval"] == "5"
    _grow(lab, 20)  # versions 1..20; deltalake checkpoints at 5, 10, 15, 20
    assert lab.table.version == 20
    _age(lab, range(0, 13), days=40)  # 0..12 expired; 13 is the oldest commit inside the retention
    kept_rows = lab.digest(version=12)

    cleanup = only(lab.actions(), "CleanupLog")
    assert cleanup["risk"] == "maintenance"
    assert cleanup["entries"] == 10  # commits 0..9: before checkpoint 10, the newest at or below 13
    assert cleanup["oldest_kept"] == 10
    code, text = lab.cli("plan")
    assert "10 log entries" in text and "version 10" in text, text

    lab.apply()
    assert _commits(lab) == list(range(10, 21))
    assert lab.digest(version=12) == kept_rows  # inside what was kept: time travel still works
    code, out = _read(lab, 15)
    assert code == 0, out
    code, out = _read(lab, 5)
    assert code != 0 and "5" in out  # before the oldest kept version: gone, with a clear error
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_nothing_to_clean_up_while_every_entry_is_inside_the_retention(lab: Project) -> None:
    lab.spec(LOG)
    lab.apply()
    _grow(lab, 12)
    assert "CleanupLog" not in kinds(lab.actions())
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_cleanup_that_shortens_the_promised_retention_is_destructive(lab: Project) -> None:
    lab.spec(LOG)
    lab.apply()
    _grow(lab, 10)
    _age(lab, range(0, 8), days=5)  # older than 1 day, but inside the table's 30 days
    lab.spec(LOG.replace("log: 30 days", "log: 1 day"))
    actions = lab.actions()
    cleanup = only(actions, "CleanupLog")
    assert cleanup["risk"] == "destructive"
    assert "time travel" in cleanup["reason"]
    assert kinds(actions).index("SetProperties") < kinds(actions).index("CleanupLog")
    version = lab.table.version
    code, out = lab.cli("apply", "--auto-approve")
    assert code == 4, out
    assert "--allow destructive" in out
    assert lab.table.version == version and _commits(lab)[0] == 0  # nothing of the table applied
    lab.apply("--allow", "destructive")
    assert _commits(lab)[0] == 5
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_checkpoint_interval_is_a_property_and_a_missing_checkpoint_is_written(lab: Project) -> None:
    lab.spec("")
    lab.apply()
    _grow(lab, 12)  # no checkpoint interval set: deltalake's default (100) wrote none
    lab.spec("maintenance:\n  checkpoint_interval: 5\n")
    actions = lab.actions()
    props = only(actions, "SetProperties")
    assert ["delta.checkpointInterval", None, "5"] in props["changes"]
    checkpoint = only(actions, "Checkpoint")
    assert checkpoint["risk"] == "maintenance"
    assert checkpoint["commits_since"] >= 12
    lab.apply()
    version = lab.table.version
    assert (Path(lab.uri) / "_delta_log" / f"{version:020d}.checkpoint.parquet").exists()
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_upkeep_actions_run_loads_then_optimize_then_vacuum_then_log_cleanup(lab: Project) -> None:
    spec = """\
        partitioned_by: [dt]
        properties:
          delta.enableExpiredLogCleanup: "false"  # only tablespec cleans the log here
        retention:
          deleted_files: 1 second
          log: 1 second
        maintenance:
          optimize: {target_file_size: 64 MiB, min_small_files: 4}
          checkpoint_interval: 5
          log_cleanup: true
        sources:
          - name: feed
            path: ../data/*.csv
            mode: append
            options: {header: true}
        """
    lab.spec(spec)
    (lab.root / "data" / "first.csv").write_text("id,v,dt\n999,x,2024-01-01\n")
    lab.apply()
    for _ in range(6):
        lab.append("2024-01-01")
    lab.apply()  # compacts: the six small files become tombstones
    for _ in range(6):
        lab.append("2024-01-01")
    time.sleep(2.5)  # past deleted_files and the log retention
    (lab.root / "data" / "more.csv").write_text("id,v,dt\n1000,x,2024-01-02\n")
    actions = lab.actions()
    order = [k for k in kinds(actions) if k in ("LoadSource", "Optimize", "Vacuum", "CleanupLog")]
    assert order == ["LoadSource", "Optimize", "Vacuum", "CleanupLog"], kinds(actions)
    code, out = lab.cli("apply", "--auto-approve", "--format", "json")
    assert code == 0, out
    import json

    [table] = json.loads(out)["tables"]
    done = [a["action"] for a in table["actions"] if a["action"] in order]
    assert done == order  # apply ran them in the order the plan showed


def test_show_has_a_health_section(lab: Project) -> None:
    lab.spec("partitioned_by: [dt]\nmaintenance:\n  checkpoint_interval: 5\n")
    lab.apply()
    _grow(lab, 7)  # checkpoint at 5; 6 and 7 after it
    code, out = lab.cli("show", "lab.events")
    assert code == 0, out
    assert "Health" in out
    assert "dt=2024-01-01" in out  # files per partition
    assert "small" in out
    assert "2 log entries since the last checkpoint (version 5)" in out
    assert "oldest reachable version: 0" in out
    code, out = lab.cli("show", "lab.events", "--format", "json")
    assert code == 0, out
    import json

    health = json.loads(out)["health"]
    assert health["commits_since_checkpoint"] == 2
    assert health["last_checkpoint"] == 5
    assert health["oldest_version"] == 0
    assert {p["values"]["dt"] for p in health["partitions"]} == {"2024-01-01", "2024-01-02", "2024-01-03"}
