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
    """Make the log entries (commit and checkpoint files) of these versions look ``days`` old: a
    log file's modification time is its age."""
    stamp = time.time() - days * DAY
    log = Path(lab.uri) / "_delta_log"
    for name in os.listdir(log):
        if name[:20].isdigit() and int(name[:20]) in versions:
            os.utime(log / name, (stamp, stamp))


def _commits(lab: Project) -> list[int]:
    names = os.listdir(Path(lab.uri) / "_delta_log")
    return sorted(int(n[:20]) for n in names if n.endswith(".json") and n[:20].isdigit())


def _checkpoints(lab: Project) -> list[int]:
    names = os.listdir(Path(lab.uri) / "_delta_log")
    return sorted(int(n[:20]) for n in names if n.endswith(".checkpoint.parquet"))


def _read(lab: Project, version: int) -> tuple[int, str]:
    return lab.cli("read", "lab.events", "--version", str(version), "--format", "json")


def _grow(lab: Project, commits: int) -> None:
    for i in range(commits):
        lab.append(f"2024-01-{i % 3 + 1:02d}", rows=2)


def test_log_cleanup_removes_only_expired_entries_and_time_travel_to_kept_versions_works(lab: Project) -> None:
    lab.spec(LOG)
    lab.apply()  # version 0 carries delta.checkpointInterval = 5
    assert lab.table.properties["delta.checkpointInterval"] == "5"
    _grow(lab, 20)  # versions 1..20; deltalake writes a checkpoint every 5 commits
    assert lab.table.version == 20
    checkpoints = _checkpoints(lab)
    assert len(checkpoints) == 4, checkpoints
    _age(lab, range(0, 13), days=40)  # 0..12 expired; 13 is the oldest commit inside the retention
    safe = max(c for c in checkpoints if c <= 13)  # delta-rs keeps everything from this checkpoint on
    kept_rows = lab.digest(version=safe)

    cleanup = only(lab.actions(), "CleanupLog")
    assert cleanup["risk"] == "maintenance"
    assert cleanup["entries"] == safe  # commits 0 .. safe-1
    assert cleanup["checkpoint_files"] == len([c for c in checkpoints if c < safe])  # and older checkpoints
    assert cleanup["oldest_kept"] == safe
    code, text = lab.cli("plan")
    assert f"{safe} log entries" in text and f"version {safe}" in text, text

    lab.apply()
    assert _commits(lab) == list(range(safe, 21))
    assert _checkpoints(lab) == [c for c in checkpoints if c >= safe]
    assert lab.digest(version=safe) == kept_rows  # inside what was kept: time travel still works
    code, out = _read(lab, 15)
    assert code == 0, out
    code, out = _read(lab, safe - 2)
    assert code != 0 and f"version {safe - 2}" in out  # before the oldest kept version: gone, with a clear error
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
    assert _commits(lab)[0] == max(c for c in _checkpoints(lab) if c <= 8)
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
    _grow(lab, 7)  # one checkpoint (deltalake writes one every 5 commits), then a few commits
    [checkpoint] = _checkpoints(lab)
    since = lab.table.version - checkpoint
    code, out = lab.cli("show", "lab.events")
    assert code == 0, out
    assert "Health" in out
    assert "dt=2024-01-01" in out  # files per partition
    assert "small" in out
    assert f"{since} log entries since the last checkpoint (version {checkpoint})" in out
    assert "oldest reachable version: 0" in out
    code, out = lab.cli("show", "lab.events", "--format", "json")
    assert code == 0, out
    import json

    health = json.loads(out)["health"]
    assert health["commits_since_checkpoint"] == since
    assert health["last_checkpoint"] == checkpoint
    assert health["oldest_version"] == 0
    assert {p["values"]["dt"] for p in health["partitions"]} == {"2024-01-01", "2024-01-02", "2024-01-03"}
