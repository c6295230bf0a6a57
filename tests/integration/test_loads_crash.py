"""SIGKILL an apply in the middle of a multi-file load; the re-run must give the exact row set.

The load runs in a child process (a small script calling ``execute_load``), so the kill is real:
no ``finally``, no atexit, half-written parquet files left behind. The parent kills it at a
chosen point — while a file streams into a write (before its commit), or right after the N-th
commit — then runs the load again in-process and checks every id is there exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tablespec.delta.table import DeltaTable

pytestmark = pytest.mark.slow

FILES = 8
ROWS = 50

CHILD = r"""
import json, sys, time
from tablespec.planning import exactly_once as loadplan
from tablespec.loads.execute import execute_load
from tablespec.sources.discover import discover
from tablespec.model.spec import ColumnSpec, MergeSpec, SourceSpec, TableSpec
from tablespec.delta.table import DeltaTable

args = json.loads(sys.argv[1])
merge = MergeSpec(keys=("id",)) if args["mode"] == "merge" else None
source = SourceSpec(name="daily", path="*.csv", resolved=args["data"] + "/*.csv", format="csv",
                    mode=args["mode"], merge=merge)
spec = TableSpec(name="crash.t", location=args["uri"], uri=args["uri"], sources=(source,),
                 columns=(ColumnSpec("id", "long", False), ColumnSpec("file", "integer"), ColumnSpec("v", "string")))
table = DeltaTable(spec.uri, name=spec.name)
if not table.exists():
    import pyarrow as pa
    table.create(pa.schema([pa.field("id", pa.int64(), False), pa.field("file", pa.int32()), pa.field("v", pa.string())]))
files = discover(source, storage_options={})
versions = {i: table.app_transaction_version(i) for i in loadplan.app_ids_for(source, files)}
action = loadplan.plan_load(spec.name, source, files, versions, table_exists=True)
print("plan", 0 if action is None else len(action.pending), flush=True)

def progress(event):
    if event.done:
        print("done", event.file_index, flush=True)
    time.sleep(args["pause"])

if action is not None:
    outcome = execute_load(table, spec, action, commit_metadata={}, progress=progress, storage_options={})
    print("outcome", outcome.files, outcome.version, flush=True)
print("exit", flush=True)
"""


def write_files(data: Path, *, version: str = "v1") -> None:
    data.mkdir(exist_ok=True)
    for f in range(FILES):
        lines = [f"{f * ROWS + i},{f},{version}" for i in range(ROWS)]
        (data / f"part-{f:02d}.csv").write_text("id,file,v\n" + "\n".join(lines) + "\n")


def start(tmp_path: Path, uri: str, mode: str, *, pause: float = 0.0) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    args = json.dumps({"uri": uri, "data": str(tmp_path / "data"), "mode": mode, "pause": pause})
    return subprocess.Popen([sys.executable, str(script), args], stdout=subprocess.PIPE, text=True)


def kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def finish(tmp_path: Path, uri: str, mode: str) -> list[str]:
    child = start(tmp_path, uri, mode)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0, out
    return out.splitlines()


def check_rows(uri: str) -> None:
    frame = DeltaTable(uri).read().collect()
    ids = frame.get_column("id").to_list()
    assert len(ids) == len(set(ids)), "duplicate rows after the re-run"
    assert sorted(ids) == list(range(FILES * ROWS))


def wait_for(child: subprocess.Popen[str], line: str, *, prefix: bool = False) -> None:
    assert child.stdout is not None
    for got in child.stdout:
        if got.strip() == line or (prefix and got.startswith(line)):
            return
    raise AssertionError(f"child ended before printing {line!r}")


def test_append_killed_mid_stream_commits_nothing(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    write_files(tmp_path / "data")
    child = start(tmp_path, uri, "append", pause=0.01)
    wait_for(child, "done 3")  # three files streamed into the single append write, no commit yet
    kill(child)
    assert DeltaTable(uri).version == 0
    lines = finish(tmp_path, uri, "append")
    assert f"plan {FILES}" in lines and f"outcome {FILES} 1" in lines
    check_rows(uri)
    assert finish(tmp_path, uri, "append")[0] == "plan 0"


@pytest.mark.parametrize("table", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_merge_killed_after_some_commits_resumes_with_the_rest(tmp_path: Path, table: str, request: Any) -> None:
    uri = str(tmp_path / "t") if table == "local" else request.getfixturevalue("s3_uri")
    write_files(tmp_path / "data")
    child = start(tmp_path, uri, "merge", pause=0.02)
    deadline = time.monotonic() + 120
    while DeltaTable(uri).exists() is False or DeltaTable(uri).version < 3:  # create + 3 file commits
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.02)
    kill(child)
    committed = DeltaTable(uri).version
    assert 3 <= committed < FILES + 1
    lines = finish(tmp_path, uri, "merge")
    assert f"plan {FILES - committed}" in lines
    check_rows(uri)
    merges = [c for c in DeltaTable(uri).history() if c.operation == "MERGE"]
    assert len(merges) == FILES  # each file committed exactly once across both runs


def test_repeated_random_kills_converge(tmp_path: Path) -> None:
    """Kills at assorted moments (while importing, mid-write, between commits); then one clean run."""
    uri = str(tmp_path / "t")
    write_files(tmp_path / "data")
    seen = []
    for delay in (0.0, 0.15, 0.05, 0.3, 0.1, 0.25):
        child = start(tmp_path, uri, "merge", pause=0.02)
        wait_for(child, "plan", prefix=True)  # the child has imported everything and planned
        time.sleep(delay)
        if child.poll() is None:
            kill(child)
        else:
            child.communicate()
        seen.append(DeltaTable(uri).version if DeltaTable(uri).exists() else None)
    assert any(v is not None and 1 <= v < FILES for v in seen), f"no kill landed mid-load: versions {seen}"
    finish(tmp_path, uri, "merge")
    check_rows(uri)
    merges = [c for c in DeltaTable(uri).history() if c.operation == "MERGE"]
    assert len(merges) == FILES
    assert finish(tmp_path, uri, "merge")[0] == "plan 0"
