"""Upkeep group (issue 14): what ``maintenance:`` costs next to delta-rs's own optimize.

Cases, measured in this process (deltalake releases the GIL; there is no memory question here):

* **compaction of 1,000 small files** — a table partitioned by ``dt`` into ``partitions`` dates,
  ``files`` small parquet files in all (a few KB each). ``tablespec.apply`` of a spec whose
  ``maintenance.optimize`` plans them (plan from the log, then one ``optimize.compact`` per
  partition with ``partition_filters``, provenance on each commit) against one raw
  ``DeltaTable.optimize.compact(target_size=...)`` over the whole table. Each run starts from a
  fresh copy of the table (copied untimed), and both end with ``partitions`` files (checked).
* **planning the optimize action on a 10,000-file table** — ``tablespec.plan`` with
  ``maintenance.optimize`` (every partition planned) against ``tablespec.plan`` of the same table
  without ``maintenance:`` and against the raw floor, ``deltalake.DeltaTable(uri)`` plus
  ``get_add_actions()`` (the add actions a planner needs: sizes and partition values).

Both tables are built cheaply: one small parquet file per partition is written with pyarrow and
hard-linked under new names, and the log is written directly (a protocol + metaData commit, then
commits of ``per_commit`` add actions each with their statistics), which is exactly what a writer
would have committed for those files.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from bench.harness import Result, interleaved, measure

GROUP = "upkeep"
TARGET = 64 * 1024 * 1024
SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: {name}
location: {location}
columns:
  - {{name: id, type: long}}
  - {{name: v, type: string}}
  - {{name: dt, type: string}}
partitioned_by: [dt]
{maintenance}"""
MAINTENANCE = """maintenance:
  optimize:
    target_file_size: 64 MiB
    min_small_files: 8
"""
SCHEMA = {"type": "struct", "fields": [
    {"name": "id", "type": "long", "nullable": True, "metadata": {}},
    {"name": "v", "type": "string", "nullable": True, "metadata": {}},
    {"name": "dt", "type": "string", "nullable": True, "metadata": {}},
]}  # fmt: skip


def build_table(uri: Path, *, files: int, partitions: int, rows: int = 50, per_commit: int = 1_000) -> int:
    """A Delta table of ``files`` small files spread evenly over ``partitions`` dates; returns
    its version. Files of one partition are hard links of one parquet file (same rows), so the
    build costs one parquet write per partition."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    log = uri / "_delta_log"
    log.mkdir(parents=True)
    now = int(time.time() * 1000)
    commits: list[list[dict[str, Any]]] = [[
        {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
        {"metaData": {"id": str(uuid.uuid4()), "format": {"provider": "parquet", "options": {}},
                      "schemaString": json.dumps(SCHEMA), "partitionColumns": ["dt"], "configuration": {},
                      "createdTime": now}},
        {"commitInfo": {"timestamp": now, "operation": "CREATE TABLE", "operationParameters": {}}},
    ]]  # fmt: skip
    adds: list[dict[str, Any]] = []
    for p in range(partitions):
        dt = f"2024-{p // 28 + 1:02d}-{p % 28 + 1:02d}"
        folder = uri / f"dt={dt}"
        folder.mkdir()
        ids = list(range(p * rows, (p + 1) * rows))
        source = folder / "part-00000-seed-c000.snappy.parquet"
        pq.write_table(pa.table({"id": pa.array(ids, pa.int64()), "v": [f"value-{i}" for i in ids]}), source)
        size = source.stat().st_size
        stats = json.dumps({"numRecords": rows, "minValues": {"id": ids[0], "v": f"value-{ids[0]}"},
                            "maxValues": {"id": ids[-1], "v": f"value-{ids[-1]}"}, "nullCount": {"id": 0, "v": 0}})
        count = files // partitions + (1 if p < files % partitions else 0)
        for i in range(count):
            name = f"part-{i:05d}-{uuid.uuid4()}-c000.snappy.parquet"
            os.link(source, folder / name)
            adds.append({"add": {"path": f"dt={dt}/{name}", "partitionValues": {"dt": dt}, "size": size,
                                 "modificationTime": now, "dataChange": True, "stats": stats}})
        source.unlink()
    for start in range(0, len(adds), per_commit):
        commits.append([*adds[start:start + per_commit],
                        {"commitInfo": {"timestamp": now, "operation": "WRITE",
                                        "operationParameters": {"mode": "Append"}}}])
    for version, actions in enumerate(commits):
        (log / f"{version:020d}.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")
    return len(commits) - 1


def _project(root: Path, name: str, location: str, maintenance: bool) -> Path:
    spec = root / ("specs" if maintenance else "specs-bare") / f"{name}.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(SPEC.format(name=name, location=location, maintenance=MAINTENANCE if maintenance else ""))
    return spec


def _fresh_copy(template: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)
    os.sync()


def compaction(root: Path, *, files: int, partitions: int, repeat: int) -> list[Result]:
    from deltalake import DeltaTable as Raw

    import tablespec
    from tablespec.config import load_config

    template = root / "template" / "compact"
    build_table(template, files=files, partitions=partitions)
    raw_uri, ts_uri = root / "warehouse" / "raw" / "compact", root / "warehouse" / "ts" / "compact"
    spec = _project(root, "bench.compact", "ts/compact", maintenance=True)
    config = load_config(start=root, env={})
    specs = tablespec.load_specs([spec], config=config)

    def raw() -> float:
        _fresh_copy(template, raw_uri)
        start = time.perf_counter()
        metrics = Raw(str(raw_uri)).optimize.compact(target_size=TARGET)
        elapsed = time.perf_counter() - start
        assert metrics["numFilesAdded"] == partitions and metrics["numFilesRemoved"] == files, metrics
        return elapsed

    def ours() -> float:
        _fresh_copy(template, ts_uri)
        start = time.perf_counter()
        report = tablespec.apply(specs, config=config)
        elapsed = time.perf_counter() - start
        assert report.ok, report
        left = len(Raw(str(ts_uri)).file_uris())
        assert left == partitions, left
        return elapsed

    times = interleaved({"raw": raw, "tablespec": ours}, repeat=repeat)
    base = Result(GROUP, f"raw optimize.compact, {files} small files in {partitions} partitions", times["raw"],
                  note="one call over the whole table")
    mine = Result(GROUP, f"tablespec apply: optimize, {files} small files in {partitions} partitions",
                  times["tablespec"], baseline=base.case,
                  note=f"plan + {partitions} compact calls (one commit per partition, with provenance)")
    return [base, mine]


def planning(root: Path, *, files: int, partitions: int, repeat: int) -> list[Result]:
    import pyarrow as pa
    from deltalake import DeltaTable as Raw

    import tablespec
    from tablespec.config import load_config

    uri = root / "warehouse" / "plan" / "big"
    started = time.perf_counter()
    build_table(uri, files=files, partitions=partitions)
    built = time.perf_counter() - started
    config = load_config(start=root, env={})
    with_maintenance = tablespec.load_specs([_project(root, "bench.big", "plan/big", True)], config=config)
    bare = tablespec.load_specs([_project(root, "bench.big", "plan/big", False)], config=config)

    def floor() -> None:
        adds = pa.table(Raw(str(uri)).get_add_actions(flatten=True))
        assert adds.num_rows == files

    def plan_optimize() -> None:
        result = tablespec.plan(with_maintenance, config=config, workers=1)
        [action] = [a for a in result.tables[0].actions if type(a).__name__ == "Optimize"]
        assert sum(p.files for p in action.partitions) == files

    def plan_bare() -> None:
        result = tablespec.plan(bare, config=config, workers=1)
        assert not result.has_changes

    raw = Result(GROUP, f"raw DeltaTable + get_add_actions, {files} files", measure(floor, repeat=repeat),
                 note=f"table built in {built:.1f} s (log written directly, {partitions} partitions)")
    no_upkeep = Result(GROUP, f"tablespec.plan without maintenance, {files} files",
                       measure(plan_bare, repeat=repeat), baseline=raw.case)
    optimize = Result(GROUP, f"tablespec.plan with optimize planned, {files} files",
                      measure(plan_optimize, repeat=repeat), baseline=raw.case,
                      note="Optimize over every partition, from the log only")
    return [raw, no_upkeep, optimize]


def cases(work: Path, *, compact_files: int, compact_partitions: int, plan_files: int, plan_partitions: int,
          repeat: int) -> list[Result]:
    root = work / GROUP
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    return [*compaction(root, files=compact_files, partitions=compact_partitions, repeat=repeat),
            *planning(root, files=plan_files, partitions=plan_partitions, repeat=repeat)]
