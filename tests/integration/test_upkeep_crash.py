"""SIGKILL ``tablespec apply`` in the middle of an optimize, then run it again.

The table has many partitions, and tablespec compacts one partition per commit, so the process is
killed as soon as the first OPTIMIZE commit shows up in the Delta log: the other partitions are
still being (or yet to be) rewritten. Each Delta commit is atomic and compaction only adds files
with ``dataChange: false``, so whatever moment the kill lands on, the table reads exactly the rows
it had; the next apply compacts what is left and planning again shows no changes. Bounded: the
kill point is waited for at most 120 s, each command at most 300 s.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable as RawTable
from deltalake import write_deltalake

pytestmark = pytest.mark.slow

PARTITIONS = 24
FILES_PER_PARTITION = 10
ROWS_PER_FILE = 2_000
SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: lab.crash
location: lab/crash
columns:
  - {name: id, type: long}
  - {name: v, type: string}
  - {name: part, type: integer}
partitioned_by: [part]
maintenance:
  optimize:
    target_file_size: 64 MiB
    min_small_files: 8
"""


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TABLESPEC_")}
    return subprocess.Popen([sys.executable, "-m", "tablespec", *args], cwd=root, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _run(root: Path, *args: str) -> tuple[int, str]:
    proc = _start(root, *args)
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out + err


def _digest(uri: str) -> tuple[int, int, int]:
    table = RawTable(uri).to_pyarrow_table()
    ids = table.column("id").to_pylist()
    return len(ids), sum(ids), len(set(ids))


def _optimize_commits(log: Path, since: int) -> int:
    found = 0
    for name in sorted(os.listdir(log)):
        if not (name.endswith(".json") and name[:20].isdigit()) or int(name[:20]) <= since:
            continue
        try:
            lines = (log / name).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith('{"commitInfo"') and '"OPTIMIZE"' in line:
                found += 1
    return found


def _small_partitions(uri: str) -> int:
    adds = pa.table(RawTable(uri).get_add_actions(flatten=True)).to_pylist()
    per: dict[object, int] = {}
    for add in adds:
        per[add["partition.part"]] = per.get(add["partition.part"], 0) + 1
    return sum(1 for n in per.values() if n > 1)


def test_sigkill_during_optimize_leaves_the_table_readable_and_the_next_apply_converges(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    (root / "specs" / "crash.yaml").write_text(SPEC)
    code, out = _run(root, "apply", "--auto-approve")
    assert code == 0, out
    uri = str(root / "warehouse" / "lab" / "crash")
    next_id = 0
    for _ in range(FILES_PER_PARTITION):  # one commit per round: every partition gets one small file
        ids, parts = [], []
        for p in range(PARTITIONS):
            ids += range(next_id, next_id + ROWS_PER_FILE)
            parts += [p] * ROWS_PER_FILE
            next_id += ROWS_PER_FILE
        write_deltalake(uri, pa.table({"id": pa.array(ids, pa.int64()), "v": [f"v{i % 97}" for i in ids],
                                       "part": pa.array(parts, pa.int32())}), mode="append")
    before = _digest(uri)
    version = RawTable(uri).version()
    assert _small_partitions(uri) == PARTITIONS

    proc = _start(root, "apply", "--auto-approve")
    log = Path(uri) / "_delta_log"
    deadline = time.monotonic() + 120
    while _optimize_commits(log, version) == 0:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"apply ended (exit {proc.returncode}) before its first optimize commit:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no optimize commit within 120 s")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert _digest(uri) == before  # readable, every row as it was
    left = _small_partitions(uri)
    assert 0 < left < PARTITIONS, "the kill should land between the first and the last partition"

    code, out = _run(root, "plan", "--format", "json")
    [table] = json.loads(out)["tables"]
    [optimize] = [a for a in table["actions"] if a["action"] == "Optimize"]
    assert len(optimize["partitions"]) == left  # only what the killed run did not finish
    code, out = _run(root, "apply", "--auto-approve")
    assert code == 0, out
    assert _digest(uri) == before
    assert _small_partitions(uri) == 0
    code, out = _run(root, "plan", "--detailed-exitcode")
    assert code == 0, out
