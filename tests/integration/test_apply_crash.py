"""SIGKILL `tablespec apply` at several points of a run, then run it again.

Each Delta commit is atomic, and every load commit carries the app transactions that say which
files it loaded, so whatever point the process dies at, the tables are readable, a re-run
finishes the job without loading anything twice, and planning again shows no changes.

Where to kill: ``tests/fixtures/paused_apply.py POINT MARKER`` runs ``tablespec.apply`` with an
``after_action`` callback that touches MARKER and sleeps right after the action POINT
(``<ActionType>[@table]``); the test waits for the marker and kills. One case kills without the hook, as soon as a merge has
committed its first file (watching the Delta log), i.e. in the middle of a load.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tablespec.delta.table import DeltaTable

REPO = Path(__file__).resolve().parents[2]
PAUSED_APPLY = REPO / "tests" / "fixtures" / "paused_apply.py"
EXPECTED_ROWS = {"crm/customers": 50, "sales/orders": 75, "web/events": 120}

pytestmark = pytest.mark.slow


def _project(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "project"
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "data", root / "data")
    return root, str(tmp_path / "warehouse")


def _start(root: Path, warehouse: str, *args: str, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "TABLESPEC_WAREHOUSE": warehouse, **env}
    return subprocess.Popen([sys.executable, "-m", "tablespec", *args], cwd=root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _start_paused(root: Path, warehouse: str, point: str, marker: Path) -> subprocess.Popen[str]:
    """apply, stopping for good right after ``point`` (see the module docstring)."""
    full = {**os.environ, "TABLESPEC_WAREHOUSE": warehouse}
    return subprocess.Popen([sys.executable, str(PAUSED_APPLY), point, str(marker)], cwd=root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _run(root: Path, warehouse: str, *args: str) -> tuple[int, str]:
    proc = _start(root, warehouse, *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def _kill_when(proc: subprocess.Popen[str], ready: callable, timeout: float = 60) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"apply ended (exit {proc.returncode}) before the kill point:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the kill point was never reached")
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _table(warehouse: str, location: str) -> DeltaTable:
    if "://" in warehouse:
        return DeltaTable(f"{warehouse}/{location}")
    return DeltaTable(os.path.join(warehouse, location), {})


def _recover(root: Path, warehouse: str) -> None:
    """Every table readable now (whatever state it was left in), then a re-run converges."""
    for location in EXPECTED_ROWS:
        table = _table(warehouse, location)
        if table.exists():
            table.read().collect()
    code, out = _run(root, warehouse, "apply", "--auto-approve")
    assert code == 0, out
    for location, expected in EXPECTED_ROWS.items():
        frame = _table(warehouse, location).read().collect()
        assert frame.height == expected, f"{location}: {frame.height} rows after recovery, expected {expected}"
    events = _table(warehouse, "web/events").read().collect()
    assert events["event_id"].n_unique() == events.height  # no file appended twice
    code, out = _run(root, warehouse, "plan", "--detailed-exitcode")
    assert code == 0, out


@pytest.mark.parametrize("point", ["CreateTable@sales.orders", "CreateTable@web.events", "LoadSource@crm.customers"])
def test_killed_after_an_action_then_rerun(tmp_path: Path, point: str) -> None:
    root, warehouse = _project(tmp_path)
    marker = tmp_path / "paused"
    proc = _start_paused(root, warehouse, point, marker)
    _kill_when(proc, marker.exists)
    _recover(root, warehouse)


@pytest.mark.s3
def test_killed_after_a_load_on_s3(tmp_path: Path, s3_bucket: str) -> None:
    root, _ = _project(tmp_path)
    warehouse = f"s3://{s3_bucket}/warehouse"
    marker = tmp_path / "paused"
    proc = _start_paused(root, warehouse, "LoadSource@sales.orders", marker)
    _kill_when(proc, marker.exists)
    _recover(root, warehouse)


def test_killed_in_the_middle_of_a_merge_load(tmp_path: Path) -> None:
    """sales.orders merges one commit per file: kill once the first file's commit is in the log
    (versions 0 create, 1 constraint, 2 first file), while later files are still to come."""
    root, warehouse = _project(tmp_path)
    first_file = Path(warehouse) / "sales/orders/_delta_log" / f"{2:020d}.json"
    proc = _start(root, warehouse, "apply", "--auto-approve")
    _kill_when(proc, first_file.exists)
    _recover(root, warehouse)


def test_killed_while_evolving_then_rerun(tmp_path: Path) -> None:
    root, warehouse = _project(tmp_path)
    code, out = _run(root, warehouse, "apply", "--auto-approve")
    assert code == 0, out
    spec = root / "specs" / "customers.yaml"
    spec.write_text(spec.read_text().replace("  - name: signed_up_at\n", "  - name: tier\n    type: string\n"
                                             "  - name: signed_up_at\n").replace("log: 30 days", "log: 60 days"))
    marker = tmp_path / "paused"
    proc = _start_paused(root, warehouse, "AddColumns@crm.customers", marker)
    _kill_when(proc, marker.exists)
    _recover(root, warehouse)
    customers = _table(warehouse, "crm/customers")
    assert "tier" in customers.schema.names
    assert customers.properties["delta.logRetentionDuration"] == "interval 60 days"


def test_killed_between_create_and_seed_load_seeds_once(tmp_path: Path) -> None:
    """A `create` source loads only when apply creates the table; the create commit carries the
    seed marker, so a crash between the create and the seed load still seeds once on the re-run."""
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "seed.csv").write_text("id,v\n1,a\n2,b\n")
    (root / "specs" / "seeded.yaml").write_text(
        "apiVersion: tablespec/v1\nkind: Table\nname: lab.seeded\nlocation: lab/seeded\n"
        "columns:\n  - {name: id, type: long}\n  - {name: v, type: string}\n"
        "sources:\n  - {name: seed, path: ../data/seed.csv, mode: create, options: {header: true}}\n"
    )
    warehouse = str(tmp_path / "warehouse")
    marker = tmp_path / "paused"
    proc = _start_paused(root, warehouse, "CreateTable", marker)
    _kill_when(proc, marker.exists)
    table = _table(warehouse, "lab/seeded")
    assert table.read().collect().height == 0  # created, not yet seeded
    for _ in range(2):
        code, out = _run(root, warehouse, "apply", "--auto-approve")
        assert code == 0, out
    assert sorted(table.read().collect()["id"].to_list()) == [1, 2]
    code, out = _run(root, warehouse, "plan", "--detailed-exitcode")
    assert code == 0, out
