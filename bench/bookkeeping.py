"""Exactly-once bookkeeping group: planning a source of ``files`` small files, all already loaded.

Goal: the no-change plan takes under 1 s with 10,000 loaded files. That plan has to list the
folder, hash every file (sha256 of its bytes: an edited file must load again), and look the
20,000 app transactions up in the log. The table is built the way
:func:`bench.planning.build_table` builds tables, recording a few hundred files per commit.

Cases, each against a floor that does the unavoidable work with raw tools (load the table with
deltalake, list the folder, sha256 every file):

* ``tablespec plan --detailed-exitcode`` from the command line (exit 0 proves "no changes"),
  against the floor run as ``python -c`` — both pay interpreter start-up and imports;
* ``tablespec.plan`` in-process, against the floor in-process. Every file's modification time is
  bumped (untimed) before each run so tablespec hashes them again rather than reusing its
  per-process hash cache — what a fresh ``tablespec apply`` pays.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

from bench.harness import Result, measure, run_command
from bench.planning import build_table, planning

GROUP = "bookkeeping"
NAME = "bench.files"

FLOOR = """\
import glob, hashlib, sys
from deltalake import DeltaTable
def floor(uri, pattern):
    DeltaTable(uri).version()
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            hashlib.sha256(f.read()).hexdigest()
"""


def cases(work: Path, *, files: int, batch: int, repeat: int) -> list[Result]:
    root = work / GROUP
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    start = time.perf_counter()
    uri = build_table(root, GROUP, NAME, -(-files // batch) + 1, files=files, batch=batch)
    built = time.perf_counter() - start
    spec = root / GROUP / "specs-sources" / f"{NAME}.yaml"
    data = root / "data" / NAME
    pattern = str(data / "*.csv")

    env = {k: v for k, v in os.environ.items() if not k.startswith("TABLESPEC_")}
    exe = str(Path(sys.executable).parent / "tablespec")
    floor_cmd = [sys.executable, "-c", FLOOR + f"floor({str(uri)!r}, {pattern!r})"]
    plan_cmd = [exe, "plan", str(spec), "--detailed-exitcode"]  # exit 2 (changes) would raise
    cli_floor = Result(GROUP, f"raw floor, python -c: DeltaTable + list + sha256 x {files}",
                       measure(lambda: run_command(floor_cmd, cwd=root, env=env), repeat=repeat),
                       note=f"table built in {built:.0f} s ({batch} files per commit)")  # fmt: skip
    cli = Result(GROUP, f"tablespec plan (CLI), {files} loaded files",
                 measure(lambda: run_command(plan_cmd, cwd=root, env=env), repeat=repeat),
                 baseline=cli_floor.case, note="goal < 1 s")  # fmt: skip

    namespace: dict[str, object] = {}
    exec(FLOOR, namespace)
    floor = namespace["floor"]
    raw = Result(GROUP, f"raw floor, in-process: DeltaTable + list + sha256 x {files}",
                 measure(lambda: floor(str(uri), pattern), repeat=repeat))  # type: ignore[operator]
    paths = sorted(data.glob("*.csv"))

    def touch() -> None:  # new mtimes: tablespec's per-process hash cache misses, contents unchanged
        now = time.time_ns()
        for i, path in enumerate(paths):
            os.utime(path, ns=(now + i, now + i))

    in_process = Result(GROUP, f"tablespec.plan, {files} loaded files (re-hashed)",
                        measure(planning(spec, root, 1), repeat=repeat, setup=touch),
                        baseline=raw.case, note="goal < 1 s")  # fmt: skip
    return [cli_floor, cli, raw, in_process]
