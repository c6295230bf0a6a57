"""Write group: what loading a file through tablespec costs next to writing it with deltalake.

Every case goes from a file on disk to data files on disk, in a fresh worker process (imports done
before the clock starts; peak memory is the worker's VmHWM):

* ``pyarrow write_table`` — read the parquet file and write it back as one parquet file: the floor.
* ``raw write_deltalake`` — ``pyarrow`` read + ``deltalake.write_deltalake`` into a new table
  (``create``) or into an existing empty one (``append``); for CSV, ``pyarrow.csv.read_csv`` with
  the spec's column types.
* ``tablespec create/append`` — ``tablespec.apply`` of a spec whose source is that file: plan
  (discover and hash the file, read the log), type-check every value, write, and record the file
  in the same commit. Ratio to the raw case of the same mode and format; goal append <= 1.10x.
* ``tablespec append (CSV > 2 GB)`` (full run only) — one run, for its peak memory: a CSV larger
  than memory budgets allow must stream. Goal peak < 1.5 GB.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from bench import datagen
from bench.harness import Result, WorkerCase, run_worker_cases

GROUP = "writes"


# --- worker bodies (run in a fresh process; return (seconds, info)) ---------------------------------


def pyarrow_write(data: str, target: str) -> tuple[float, dict[str, Any]]:
    import pyarrow.parquet as pq

    os.makedirs(target, exist_ok=True)
    start = time.perf_counter()
    table = pq.read_table(data)
    pq.write_table(table, os.path.join(target, "part-0.parquet"))
    return time.perf_counter() - start, {"rows": table.num_rows}


def raw_write(data: str, target: str, mode: str) -> tuple[float, dict[str, Any]]:
    """``write_deltalake`` of the file; ``mode`` "error" creates the table, "append" adds to it."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    from deltalake import write_deltalake

    schema = datagen.arrow_schema()
    start = time.perf_counter()
    if data.endswith(".csv"):
        table = pacsv.read_csv(data, convert_options=pacsv.ConvertOptions(column_types=schema))
    else:
        table = pq.read_table(data)
    write_deltalake(target, table, mode=mode)  # type: ignore[arg-type]
    return time.perf_counter() - start, {"rows": table.num_rows}


def polars_write(data: str, target: str) -> tuple[float, dict[str, Any]]:
    """What a polars user writes (issue 17's bar): ``scan_parquet().collect().write_delta()``, or
    ``read_csv(schema=...).write_delta()`` with the spec's types, appended to the same table."""
    import polars as pl

    schema = datagen.polars_schema()
    start = time.perf_counter()
    frame = pl.read_csv(data, schema=schema) if data.endswith(".csv") else pl.scan_parquet(data).collect()
    frame.write_delta(target, mode="append")
    return time.perf_counter() - start, {"rows": frame.height}


def tablespec_apply(spec: str) -> tuple[float, dict[str, Any]]:
    """``tablespec.apply`` of one spec. Module imports stay outside the clock, as for the raw
    cases: the cost measured is the library's, paid again for every table an apply loads."""
    # Everything the load will import, imported before the clock as the raw cases do: the
    # executor imports tablespec.loads.execute (and with it polars, pyarrow.compute) on its first load.
    import deltalake
    import polars  # noqa: F401
    import pyarrow.compute
    import pyarrow.csv
    import pyarrow.parquet  # noqa: F401

    import tablespec
    import tablespec.loads.execute

    tablespec.apply  # noqa: B018 - resolves the lazy attribute: imports applier and executor
    start = time.perf_counter()
    info = datagen.apply_spec(Path(spec))
    elapsed = time.perf_counter() - start
    # the predicate of the last commit shows whether a merge was pruned
    last = deltalake.DeltaTable(str(info.pop("uri"))).history(1)[0]
    info["operation"] = last.get("operation")
    if predicate := last.get("operationParameters", {}).get("predicate"):
        info["predicate"] = predicate
    return elapsed, info


# --- the group ---------------------------------------------------------------------------------------


def prepare(work: Path, rows: int) -> dict[str, Path]:
    """The seeded input files and an empty table created by tablespec (the append target)."""
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    files = {"parquet": data / "base.parquet", "csv": data / "base.csv"}
    if not files["parquet"].exists():
        datagen.frame(0, rows).write_parquet(files["parquet"])
    if not files["csv"].exists():
        datagen.write_csv(files["csv"], rows)
    specs = datagen.project(work)
    template = work / "template"
    if not (template / "_delta_log").exists():
        datagen.apply_spec(datagen.write_spec(specs / "template.yaml", name="bench.template", location=template))
    return files


def fresh(target: Path, template: Path | None = None) -> Any:
    """Setup: remove the last run's table (and copy the template in, for an append)."""

    def run() -> None:
        shutil.rmtree(target, ignore_errors=True)
        if template is not None:
            shutil.copytree(template, target)
        os.sync()  # the previous run's dirty pages must not be flushed during this one

    return run


def cases(work: Path, *, rows: int, big_csv_rows: int, repeat: int, warmup: int) -> list[Result]:
    work = work / GROUP
    files = prepare(work, rows)
    specs, run, template = work / "specs", work / "run", work / "template"
    here = f"{__name__}:"
    todo: list[WorkerCase] = [
        WorkerCase("pyarrow write_table (parquet)", here + "pyarrow_write",
                   {"data": str(files["parquet"]), "target": str(run / "pyarrow")}, setup=fresh(run / "pyarrow"),
                   note="floor: read + write one parquet file"),
    ]  # fmt: skip
    for fmt in ("parquet", "csv"):
        for mode in ("create", "append"):
            raw_name = f"raw write_deltalake {mode} ({fmt})"
            base = template if mode == "append" else None
            raw_target, ts_target = run / f"raw-{mode}-{fmt}", run / f"ts-{mode}-{fmt}"
            spec = datagen.write_spec(specs / f"{mode}-{fmt}.yaml", name=f"bench.{mode}_{fmt}", location=ts_target,
                                      source=files[fmt], mode=mode)  # fmt: skip
            todo += [
                WorkerCase(raw_name, here + "raw_write",
                           {"data": str(files[fmt]), "target": str(raw_target), "mode": "append" if base else "error"},
                           setup=fresh(raw_target, base),
                           baseline="pyarrow write_table (parquet)" if (mode, fmt) == ("create", "parquet") else None),
                WorkerCase(f"tablespec {mode} ({fmt})", here + "tablespec_apply", {"spec": str(spec)},
                           setup=fresh(ts_target, base), baseline=raw_name,
                           note="goal <= 1.10x" if mode == "append" else ""),
            ]  # fmt: skip
            if mode == "append":  # the bar users compare with: polars' own write_delta (issue 17)
                pl_target = run / f"polars-append-{fmt}"
                todo.append(WorkerCase(f"polars write_delta append ({fmt})", here + "polars_write",
                                       {"data": str(files[fmt]), "target": str(pl_target)},
                                       setup=fresh(pl_target, base), baseline=f"tablespec append ({fmt})",
                                       note="ratio = polars / tablespec: >= 1.00x is the goal"))  # fmt: skip
    results = run_worker_cases(GROUP, todo, repeat=repeat, warmup=warmup)
    if big_csv_rows:
        results.append(big_csv(work, big_csv_rows))
    shutil.rmtree(run, ignore_errors=True)
    return results


def big_csv(work: Path, rows: int) -> Result:
    """One append of a CSV larger than 2 GB, for the worker's peak memory (one run: it is slow,
    and the peak, not the time, is the point)."""
    source = work / "data" / "big.csv"
    if not source.exists():
        datagen.write_csv(source, rows)
    target = work / "run" / "ts-append-bigcsv"
    spec = datagen.write_spec(work / "specs" / "append-bigcsv.yaml", name="bench.big_csv", location=target,
                              source=source, mode="append")  # fmt: skip
    case = WorkerCase(f"tablespec append (CSV {source.stat().st_size / 2**30:.1f} GB)", f"{__name__}:tablespec_apply",
                      {"spec": str(spec)}, setup=fresh(target, work / "template"),
                      note="one run; goal peak < 1536 MB")  # fmt: skip
    [result] = run_worker_cases(GROUP, [case], repeat=1, warmup=0)
    shutil.rmtree(target, ignore_errors=True)
    return result
