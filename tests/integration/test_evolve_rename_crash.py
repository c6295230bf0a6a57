"""Rename on a 1M-row table (issue 18 "Must show"): values preserved value for value, one commit,
plan empty afterwards; and SIGKILL in the middle of the rewrite, then apply again, ends exact.

The kill lands while the rewrite is writing its new data files (a file appears in the table's
folder outside ``_delta_log``), before its commit: the killed run committed nothing, the re-run
does the whole rename once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tablespec import DeltaTable

pytestmark = pytest.mark.slow
ROWS = 1_000_000
SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: big.events
location: big/events
columns:
  - {name: id, type: long, nullable: false}
  - {name: {customer}, type: string}
  - {name: score, type: double}
  - {name: tag, type: string}
"""


def _project(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "tablespec.yaml").write_text(f"warehouse: {tmp_path / 'warehouse'}\n")
    return root, str(tmp_path / "warehouse" / "big" / "events")


def _write_spec(root: Path, renamed: bool) -> None:
    name = "customer_name, renamed_from: customer" if renamed else "customer"
    (root / "specs" / "events.yaml").write_text(SPEC.replace("{customer}", name))


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tablespec", *args], cwd=root, text=True, capture_output=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def _data_files(path: str) -> set[str]:
    found = set()
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != "_delta_log"]
        found.update(os.path.join(folder, f) for f in files)
    return found


def _seed(uri: str) -> None:
    ids = pl.int_range(0, ROWS, dtype=pl.Int64, eager=True)
    frame = pl.DataFrame({"id": ids}).with_columns(
        customer=pl.when(pl.col("id") % 97 == 0).then(None).otherwise(pl.format("customer-{}", pl.col("id") % 50_000)),
        score=(pl.col("id") * 7919 % 10_007).cast(pl.Float64) / 10_007,
        tag=pl.format("t{}", pl.col("id") % 7),
    )
    DeltaTable(uri, {}).append(frame.to_arrow())


def test_rename_on_a_million_rows_killed_mid_rewrite_then_reapplied(tmp_path: Path) -> None:
    root, uri = _project(tmp_path)
    _write_spec(root, renamed=False)
    done = _run(root, "apply", "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    _seed(uri)
    table = DeltaTable(uri, {})
    seeded = table.version
    before = table.read().select("id", "customer").sort("id").collect()
    assert before.height == ROWS
    files_before = _data_files(uri)

    _write_spec(root, renamed=True)
    proc = subprocess.Popen([sys.executable, "-m", "tablespec", "apply", "--auto-approve", "--allow", "rewrite"],
                            cwd=root, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (_data_files(uri) - files_before):
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"apply ended (exit {proc.returncode}) before it wrote a data file:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the rewrite never started writing")
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    killed = DeltaTable(uri, {})
    assert killed.version in (seeded, seeded + 1)  # the commit is atomic: all or nothing
    killed.read().collect()  # readable, whatever the kill left behind

    done = _run(root, "apply", "--auto-approve", "--allow", "rewrite")
    assert done.returncode == 0, done.stdout + done.stderr
    table = DeltaTable(uri, {})
    assert table.version == seeded + 1  # exactly one commit did the rename
    assert table.schema.names == ["id", "customer_name", "score", "tag"]
    after = table.read().select("id", "customer_name").sort("id").collect()
    assert after.height == ROWS
    assert after["id"].equals(before["id"])
    assert after["customer_name"].equals(before["customer"], null_equal=True)
    plan = _run(root, "plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
