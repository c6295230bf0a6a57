"""Issue 24.8: ``terminate called without an active exception`` (exit 134) once in about 400 CLI
runs, after the output was complete: native thread pools torn down at interpreter exit. The
console script now leaves with ``os._exit`` once its output is flushed. 300 real runs of the
installed command (``plan`` and ``show`` on a small table), two at a time: no abort, every run
exits as documented with its whole output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

RUNS = 300


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_300_cli_runs_never_abort(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("tablespec")
    assert command.exists(), "the console script is installed beside the interpreter"
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "specs", tmp_path / "specs")
    shutil.copytree(root / "data", tmp_path / "data")
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("TABLESPEC_WAREHOUSE", None)
    first = subprocess.run([str(command), "apply", "--auto-approve", "--no-progress"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr

    def once(i: int) -> tuple[int, str, str]:
        argv = ["plan", "--detailed-exitcode"] if i % 2 else ["show", "sales.orders"]
        done = subprocess.run([str(command), *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        return done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(once, range(RUNS)))
    aborted = [(code, err[-300:]) for code, _, err in results if code not in (0,) or "terminate called" in err]
    assert not aborted, f"{len(aborted)} of {RUNS} runs ended badly: {aborted[:3]}"
    assert all("No changes." in out for i, (_, out, _) in enumerate(results) if i % 2)
    assert all("Table sales.orders" in out for i, (_, out, _) in enumerate(results) if not i % 2)
