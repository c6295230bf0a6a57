"""Issue 13, item 20: three applies at once on one new source file, as real processes.

Each process reports what *it* did: one loaded the file, the others say they skipped it because
another writer loaded it (or found nothing to do); a process whose write lost the commit race
counts the data files it left behind, and those are all the unreferenced files in the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: demo.race
location: demo/race
columns:
  - {name: id, type: long, nullable: false}
  - {name: v, type: string}
sources:
  - name: s
    path: ../data/*.csv
    mode: append
"""
ROWS = 100_000


def _write(path: Path, tag: str) -> None:
    path.write_text("id,v\n" + "".join(f"{i},{tag}{i}\n" for i in range(ROWS)))


def _untracked(table_dir: Path) -> set[str]:
    known = {os.path.basename(u) for u in DeltaTable(str(table_dir)).file_uris()}
    return {p.name for p in table_dir.glob("*.parquet")} - known


@pytest.mark.slow
def test_concurrent_applies_report_what_each_did(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    (root / "specs" / "race.yaml").write_text(SPEC)
    env = {k: v for k, v in os.environ.items() if k != "TABLESPEC_WAREHOUSE"}
    command = [sys.executable, "-m", "tablespec", "apply", "--auto-approve", "--format", "json"]
    _write(root / "data" / "a.csv", "a")
    assert subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=120, check=False).returncode == 0
    table_dir = root / "warehouse" / "demo" / "race"
    for round_ in range(3):
        _write(root / "data" / f"r{round_}.csv", f"r{round_}")
        before = _untracked(table_dir)
        procs = [subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
        outputs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        reports = [json.loads(out)["tables"][0] for out, _ in outputs]
        loads = [load for r in reports for load in r["loads"]]
        assert sum(load["files"] for load in loads) == 1, loads  # exactly one process loaded the file
        assert all(load["files"] == 1 or load["skipped"] == 1 for load in loads), loads
        orphans = _untracked(table_dir) - before
        reported = sum(load["orphaned_files"] for load in loads)
        assert reported >= len(orphans), (reported, orphans)  # every orphan is in some process's report
        assert all(load["orphaned_files"] <= len(orphans) for load in loads)
    assert DeltaTable(str(table_dir)).to_pyarrow_dataset().count_rows() == 4 * ROWS
