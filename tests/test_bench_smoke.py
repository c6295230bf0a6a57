"""The benchmark suite still runs: ``python -m bench --quick`` with every group, tiny sizes.

Only that it works and reports every case — never how fast (BENCHMARKS.md: speed is measured by the
benchmark suite, never asserted by a timed test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
GROUPS = {"startup", "writes", "merges", "plan", "bookkeeping"}


def test_quick_benchmark_runs_every_group(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TABLESPEC_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out), "--workdir", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text())
    results = data["results"]
    assert {r["group"] for r in results} == GROUPS
    assert data["meta"]["quick"] is True
    cases = {(r["group"], r["case"]) for r in results}
    for r in results:
        assert r["times"] and all(t > 0 for t in r["times"]), r
        if r["baseline"]:
            assert (r["group"], r["baseline"]) in cases, r
            assert r["ratio"] is not None, r
    by_case = {r["case"]: r for r in results}
    # the loads did load, and the worker cases report their peak memory
    assert by_case["tablespec append (parquet)"]["extra"]["inserted"] > 0
    assert by_case["tablespec merge, partitioned"]["extra"]["updated"] > 0
    assert all(r["peak_mb"] for r in results if r["group"] in ("writes", "merges"))
    assert "| group | case |" in done.stdout
    # the temporary data folder was removed
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
