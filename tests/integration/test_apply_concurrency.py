"""Two `tablespec apply` processes on the same specs at the same moment.

The Delta log is the only coordination (no lock server): each commit is a put-if-absent of the
next log entry. Acceptable outcomes are both processes exiting 0 (the slower one re-plans and
finds the work done), or one exiting 1 with a clear conflict error. Either way every table ends
exactly as its spec and data say: each source file loaded once (no row lost, none doubled), and
planning again shows no changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tablespec.delta.table import DeltaTable

REPO = Path(__file__).resolve().parents[2]
EXPECTED_ROWS = {"crm/customers": 50, "sales/orders": 75, "web/events": 120}  # the example data
CONFLICT_WORDS = ("another writer", "concurrent", "conflict")

pytestmark = pytest.mark.slow


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "warehouse")
    return f"s3://{request.getfixturevalue('s3_bucket')}/warehouse"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "data", root / "data")
    return root


def _start(root: Path, warehouse: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TABLESPEC_WAREHOUSE": warehouse}
    return subprocess.Popen([sys.executable, "-m", "tablespec", *args], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _table(warehouse: str, location: str) -> DeltaTable:
    if "://" in warehouse:
        return DeltaTable(f"{warehouse}/{location}")
    return DeltaTable(os.path.join(warehouse, location), {})


def _check_tables(warehouse: str) -> None:
    for location, expected in EXPECTED_ROWS.items():
        frame = _table(warehouse, location).read().collect()
        assert frame.height == expected, f"{location}: {frame.height} rows, expected {expected}"
    orders = _table(warehouse, "sales/orders").read().collect()
    assert orders["order_id"].n_unique() == orders.height  # merged once per key
    events = _table(warehouse, "web/events").read().collect()
    assert events["event_id"].n_unique() == events.height  # appended files loaded once


def _run_together(root: Path, warehouse: str, *args: str) -> list[tuple[int, str, str]]:
    procs = [_start(root, warehouse, "apply", "--auto-approve", *args) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out, err))
    return results


def _acceptable(results: list[tuple[int, str, str]]) -> None:
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 1]), results
    for code, out, err in results:
        if code == 1:
            text = (out + err).lower()
            assert any(word in text for word in CONFLICT_WORDS), f"unclear failure:\n{out}\n{err}"


def test_two_applies_from_nothing(tmp_path: Path, warehouse: str) -> None:
    root = _project(tmp_path)
    _acceptable(_run_together(root, warehouse))
    _check_tables(warehouse)
    plan = _start(root, warehouse, "plan", "--detailed-exitcode")
    out, err = plan.communicate(timeout=60)
    assert plan.returncode == 0, out + err


def test_two_applies_evolving_and_loading(tmp_path: Path, warehouse: str) -> None:
    """Both start from existing tables with a schema change and new data pending."""
    root = _project(tmp_path)
    keep = root / "held"
    keep.mkdir()
    shutil.move(str(root / "data" / "events" / "events-2026-11-02.ndjson"), keep / "events-2026-11-02.ndjson")
    first = _start(root, warehouse, "apply", "--auto-approve")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    shutil.move(str(keep / "events-2026-11-02.ndjson"), root / "data" / "events" / "events-2026-11-02.ndjson")
    spec = root / "specs" / "orders.yaml"
    spec.write_text(spec.read_text().replace("  - name: tags\n", "  - name: channel\n    type: string\n  - name: tags\n")
                    .replace("description: Orders placed in the web shop", "description: Orders, with channel"))
    _acceptable(_run_together(root, warehouse))
    _check_tables(warehouse)
    orders = _table(warehouse, "sales/orders")
    assert "channel" in orders.schema.names and orders.description == "Orders, with channel"
    plan = _start(root, warehouse, "plan", "--detailed-exitcode")
    out, err = plan.communicate(timeout=60)
    assert plan.returncode == 0, out + err
