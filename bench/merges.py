"""Merge group: tablespec's merge loads against ``deltalake.DeltaTable.merge``, time and peak memory.

The target holds ``rows`` rows (created by tablespec, so the specs below plan no other change),
unpartitioned and partitioned by ``dt`` (30 dates). Each run gets a fresh copy of it and runs in a
fresh worker process (peak memory = its VmHWM). Sources, ``merge_rows`` rows each, half of them
keys already in the table and half new:

* unpartitioned — the last keys of the table plus new ones. Raw: ``pq.read_table`` + ``merge(t.id =
  s.id)`` update all / insert all. tablespec: ``apply`` of a spec with a ``merge`` source on
  ``id`` (key checks, duplicate check, typing, bookkeeping). Goal <= 1.10x raw. deltalake's
  ``merge`` streams its source by default (``streamed_exec=True``), which gives up pruning by the
  source's statistics; tablespec passes ``False`` for a source it holds in memory, so the raw merge
  with ``streamed_exec=False`` is shown too, and tablespec's note gives its ratio to that one.
* partitioned — existing rows of 3 of the 30 dates, plus new rows on those dates. Raw baseline: the
  unpruned merge ``t.id = s.id``, which reads and rewrites every partition. tablespec prunes by
  itself (it proves no key of the file lives in another partition, then adds ``t.dt IN (...)``).
  Goal: at least 2x faster (ratio <= 0.50). The hand-pruned raw merge is shown for reference: it is
  what pruning can reach at best.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from bench import datagen
from bench.harness import Result, WorkerCase, run_worker_cases
from bench.writes import fresh

GROUP = "merges"
TOUCHED_DAYS = [0, 1, 2]


# --- worker body (the raw side; the tablespec side is bench.writes.tablespec_apply) -----------------


def raw_merge(source: str, target: str, predicate: str, streamed: bool = True) -> tuple[float, dict[str, Any]]:
    """``pq.read_table`` + ``DeltaTable.merge``, update all / insert all. ``streamed`` is
    deltalake's ``streamed_exec`` (default True, which disables pruning from the source's stats)."""
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    start = time.perf_counter()
    data = pq.read_table(source)
    merger = DeltaTable(target).merge(data, predicate, source_alias="s", target_alias="t", streamed_exec=streamed)
    metrics = merger.when_matched_update_all().when_not_matched_insert_all().execute()
    elapsed = time.perf_counter() - start
    info = {"rows": data.num_rows, "inserted": metrics["num_target_rows_inserted"],
            "updated": metrics["num_target_rows_updated"],
            "predicate": DeltaTable(target).history(1)[0].get("operationParameters", {}).get("predicate")}  # fmt: skip
    return elapsed, info


# --- data --------------------------------------------------------------------------------------------


def prepare(work: Path, rows: int, merge_rows: int) -> dict[str, Path]:
    import polars as pl

    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    base, flat, parted = data / "base.parquet", data / "source.parquet", data / "psource.parquet"
    half = merge_rows // 2
    if not base.exists():
        datagen.frame(0, rows).write_parquet(base)
    if not flat.exists():  # the table's last keys, then new ones
        pl.concat([datagen.frame(rows - half, half), datagen.frame(rows, merge_rows - half)]).write_parquet(flat)
    if not parted.exists():  # existing rows of 3 dates keep their date; new rows land on those dates
        first = pl.date(2026, 1, 1) + pl.duration(days=len(TOUCHED_DAYS))
        existing = datagen.frame(0, rows).filter(pl.col("dt") < first).head(half)
        pl.concat([existing, datagen.frame(rows, merge_rows - existing.height, days=TOUCHED_DAYS)]).write_parquet(parted)
    specs = datagen.project(work)
    for name, partitioned in (("table", False), ("ptable", True)):
        if not (work / name / "_delta_log").exists():
            spec = datagen.write_spec(specs / f"{name}.yaml", name=f"bench.{name}", location=work / name,
                                      source=base, mode="create", partitioned=partitioned)  # fmt: skip
            datagen.apply_spec(spec)
    return {"flat": flat, "parted": parted}


def cases(work: Path, *, rows: int, merge_rows: int, repeat: int, warmup: int) -> list[Result]:
    work = work / GROUP
    sources = prepare(work, rows, merge_rows)
    specs, run = work / "specs", work / "run"
    days = ", ".join(f"'2026-01-{d + 1:02d}'" for d in TOUCHED_DAYS)
    here = f"{__name__}:"
    todo: list[WorkerCase] = []
    for label, table, source, partitioned in (("", "table", sources["flat"], False),
                                              (", partitioned", "ptable", sources["parted"], True)):  # fmt: skip
        raw_target, ts_target = run / f"raw-{table}", run / f"ts-{table}"
        raw_name = f"raw merge{label}" + (" (unpruned)" if partitioned else "")
        spec = datagen.write_spec(specs / f"merge-{table}.yaml", name=f"bench.{table}", location=ts_target,
                                  source=source, mode="merge", partitioned=partitioned)  # fmt: skip
        todo.append(WorkerCase(raw_name, here + "raw_merge",
                               {"source": str(source), "target": str(raw_target), "predicate": "t.id = s.id"},
                               setup=fresh(raw_target, work / table)))  # fmt: skip
        if not partitioned:
            todo.append(WorkerCase(f"{raw_name}, streamed_exec=False", here + "raw_merge",
                                   {"source": str(source), "target": str(raw_target), "predicate": "t.id = s.id",
                                    "streamed": False},
                                   setup=fresh(raw_target, work / table), baseline=raw_name,
                                   note="reference: deltalake prunes by the source's id range"))  # fmt: skip
        if partitioned:
            todo.append(WorkerCase(f"raw merge{label}, hand-pruned", here + "raw_merge",
                                   {"source": str(source), "target": str(raw_target),
                                    "predicate": f"t.id = s.id AND t.dt IN ({days})"},
                                   setup=fresh(raw_target, work / table), baseline=raw_name,
                                   note="reference: t.dt IN (3 dates) written by hand"))  # fmt: skip
        todo.append(WorkerCase(f"tablespec merge{label}", "bench.writes:tablespec_apply", {"spec": str(spec)},
                               setup=fresh(ts_target, work / table), baseline=raw_name,
                               note="goal <= 0.50x (2x faster)" if partitioned else "goal <= 1.10x"))  # fmt: skip
    results = run_worker_cases(GROUP, todo, repeat=repeat, warmup=warmup)
    by_case = {r.case: r for r in results}
    tuned, ts = by_case["raw merge, streamed_exec=False"], by_case["tablespec merge"]
    ts.extra["ratio_to_streamed_exec_false"] = round(ts.median / tuned.median, 3)
    ts.note += f"; {ts.median / tuned.median:.2f}x of streamed_exec=False"
    shutil.rmtree(run, ignore_errors=True)
    return results
