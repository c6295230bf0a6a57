"""Load benchmarks: tablespec's loads against the raw deltalake calls they wrap.

Not a test (STYLE.md: speed is measured, never asserted by a timed test). Every measurement runs in
a fresh worker subprocess, which reports its wall time and its peak resident memory (VmHWM from
/proc/self/status), so one scenario's caches and allocator state never flatter another's.

Scenarios (sizes for the full run; ``--quick`` divides them by 50, ``--rows`` etc. override):

* append   — a 5M-row x 8-column parquet file: ``execute_load`` (append) vs ``write_deltalake`` of
             the same file read with pyarrow. Goal: <= 1.10x raw.
* merge    — 1M-row source, half new keys, into the 5M-row table: ``execute_load`` (merge) vs
             ``deltalake.DeltaTable.merge`` (update all / insert all). Goal: <= 1.10x raw.
* pmerge   — the same table partitioned by date (30 dates), a 1M-row source touching 3 dates:
             tablespec's pruned merge vs the raw, unpruned merge. Goal: >= 2x faster.
* csv      — peak memory loading a CSV larger than 2 GB (append). Goal: < 1.5 GB.

    /tmp/venv/bin/python bench/loads_bench.py --quick
    /tmp/venv/bin/python bench/loads_bench.py --scenarios append,merge,pmerge,csv --repeat 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

COLUMNS = [("id", "long", False), ("k", "integer", True), ("x", "double", True), ("y", "double", True),
           ("s", "string", True), ("t", "timestamp", True), ("dt", "date", True), ("flag", "boolean", True)]  # fmt: skip
DAYS = 30


# --- data -------------------------------------------------------------------------------------


def frame(start: int, count: int, *, days: list[int] | None = None) -> Any:
    """``count`` rows with ids from ``start``; ``dt`` cycles over 30 days (or over ``days``)."""
    import polars as pl

    i = pl.int_range(start, start + count, dtype=pl.Int64)
    day = (i % DAYS) if days is None else pl.lit(pl.Series(days)).gather(i % len(days))
    return pl.select(
        id=i, k=(i % 1000).cast(pl.Int32), x=i.cast(pl.Float64) * 0.5, y=i.cast(pl.Float64).sin(),
        s=pl.format("name-{}", i % 100_000), t=pl.datetime(2026, 1, 1, time_zone="UTC") + pl.duration(seconds=i),
        dt=pl.date(2026, 1, 1) + pl.duration(days=day), flag=(i % 2) == 0,
    )  # fmt: skip


def prepare(work: Path, rows: int, merge_rows: int, csv_rows: int, scenarios: set[str]) -> None:
    import polars as pl

    work.mkdir(parents=True, exist_ok=True)
    base = work / "base" / "base.parquet"
    if not base.exists():
        base.parent.mkdir(exist_ok=True)
        frame(0, rows).write_parquet(base)
    half = merge_rows // 2
    src = work / "merge" / "source.parquet"
    if not src.exists():
        src.parent.mkdir(exist_ok=True)
        # half existing keys (the last ones of the table), half new
        pl.concat([frame(rows - half, half), frame(rows, merge_rows - half)]).write_parquet(src)
    psrc = work / "pmerge" / "source.parquet"
    if not psrc.exists():
        psrc.parent.mkdir(exist_ok=True)
        # existing rows of days 0..2 keep their day; new rows land on the same three days
        existing = frame(0, rows).filter(pl.col("dt") < pl.date(2026, 1, 4)).head(half)
        pl.concat([existing, frame(rows, merge_rows - half, days=[0, 1, 2])]).write_parquet(psrc)
    for name, partitioned in (("table", False), ("ptable", True)):
        if not (work / name / "_delta_log").exists() and scenarios & {"merge", "pmerge"}:
            from deltalake import write_deltalake

            write_deltalake(str(work / name), pl.read_parquet(base).to_arrow(),
                            partition_by=["dt"] if partitioned else None)  # fmt: skip
    csv = work / "csv" / "big.csv"
    if "csv" in scenarios and not csv.exists():
        csv.parent.mkdir(exist_ok=True)
        chunk = 2_000_000
        with open(csv, "wb") as out:  # chunk by chunk: the generator itself must not need 2 GB
            for start in range(0, csv_rows, chunk):
                frame(start, min(chunk, csv_rows - start)).write_csv(out, include_header=start == 0)


# --- workers (run in a fresh process each) ----------------------------------------------------


def spec_for(uri: str, data: str, mode: str, *, partitioned: bool) -> Any:
    from tablespec.spec import ColumnSpec, MergeSpec, SourceSpec, TableSpec

    fmt = "csv" if data.endswith(".csv") else "parquet"
    source = SourceSpec(name="bench", path=data, resolved=data, format=fmt, mode=mode,  # type: ignore[arg-type]
                        merge=MergeSpec(keys=("id",)) if mode == "merge" else None)  # fmt: skip
    return TableSpec(name="bench.t", location=uri, uri=uri, columns=tuple(ColumnSpec(*c) for c in COLUMNS),
                     partitioned_by=("dt",) if partitioned else (), sources=(source,))  # fmt: skip


def run_tablespec(uri: str, data: str, mode: str, partitioned: bool) -> dict[str, Any]:
    import pyarrow as pa

    from tablespec import loadplan
    from tablespec import types as T
    from tablespec.loads import execute_load
    from tablespec.sources import discover
    from tablespec.table import DeltaTable

    spec = spec_for(uri, data, mode, partitioned=partitioned)
    table = DeltaTable(uri, {})
    if not table.exists():
        table.create(pa.schema([pa.field(n, T.to_arrow(T.parse_type(t)), nl) for n, t, nl in COLUMNS]),
                     partition_by=spec.partitioned_by)  # fmt: skip
    start = time.perf_counter()
    files = discover(spec.sources[0], storage_options={})
    action = loadplan.plan_load(spec.name, spec.sources[0], files, {}, table_exists=True)
    assert action is not None
    outcome = execute_load(table, spec, action, commit_metadata={}, storage_options={})
    return {"seconds": time.perf_counter() - start, "rows": outcome.rows_read, "inserted": outcome.inserted,
            "updated": outcome.updated}  # fmt: skip


def run_raw(uri: str, data: str, mode: str, partitioned: bool) -> dict[str, Any]:
    import pyarrow.parquet as pq
    from deltalake import DeltaTable, write_deltalake

    start = time.perf_counter()
    source = pq.read_table(data)
    if mode == "append":
        write_deltalake(uri, source, mode="append", partition_by=["dt"] if partitioned else None)
        return {"seconds": time.perf_counter() - start, "rows": source.num_rows}
    metrics = (DeltaTable(uri).merge(source, "t.id = s.id", source_alias="s", target_alias="t")
               .when_matched_update_all().when_not_matched_insert_all().execute())  # fmt: skip
    return {"seconds": time.perf_counter() - start, "rows": source.num_rows,
            "inserted": metrics["num_target_rows_inserted"], "updated": metrics["num_target_rows_updated"]}  # fmt: skip


def worker(args: dict[str, Any]) -> None:
    run = run_tablespec if args["impl"] == "tablespec" else run_raw
    result = run(args["uri"], args["data"], args["mode"], args["partitioned"])
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- orchestration ----------------------------------------------------------------------------


def measure(work: Path, impl: str, scenario: str) -> dict[str, Any]:
    """One worker run on a fresh copy of the scenario's target table."""
    target = work / "run"
    shutil.rmtree(target, ignore_errors=True)
    mode, partitioned, data = {
        "append": ("append", False, work / "base" / "base.parquet"),
        "merge": ("merge", False, work / "merge" / "source.parquet"),
        "pmerge": ("merge", True, work / "pmerge" / "source.parquet"),
        "csv": ("append", False, work / "csv" / "big.csv"),
    }[scenario]
    if mode == "merge":
        shutil.copytree(work / ("ptable" if partitioned else "table"), target)
    os.sync()  # the copy's dirty pages must not be flushed during the measurement
    args = {"impl": impl, "uri": str(target), "data": str(data), "mode": mode, "partitioned": partitioned}
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(args)], capture_output=True, text=True,
                         check=False)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{impl} {scenario} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shutil.rmtree(target, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="sizes / 50 (a smoke run)")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--merge-rows", type=int, default=1_000_000)
    parser.add_argument("--csv-rows", type=int, default=24_000_000, help="about 2.3 GB of CSV")
    parser.add_argument("--scenarios", default="append,merge,pmerge,csv")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is kept")
    parser.add_argument("--workdir", default="/tmp/tablespec-loads-bench")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    opts = parser.parse_args()
    if opts.worker:
        worker(json.loads(opts.worker))
        return
    scale = 50 if opts.quick else 1
    rows, merge_rows, csv_rows = opts.rows // scale, opts.merge_rows // scale, opts.csv_rows // scale
    scenarios = [s.strip() for s in opts.scenarios.split(",") if s.strip()]
    work = Path(opts.workdir) / f"{rows}-{merge_rows}-{csv_rows}"
    started = time.perf_counter()
    prepare(work, rows, merge_rows, csv_rows, set(scenarios))
    print(f"data ready in {time.perf_counter() - started:.1f}s under {work}", file=sys.stderr)
    results: dict[str, Any] = {}
    for scenario in scenarios:
        impls = ["tablespec"] if scenario == "csv" else ["tablespec", "raw"]
        for impl in impls:
            runs = [measure(work, impl, scenario) for _ in range(opts.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            best["peak_mb"] = max(r["peak_mb"] for r in runs)
            results[f"{scenario}/{impl}"] = best
            print(f"{scenario:7} {impl:9} {best['seconds']:8.2f}s  peak {best['peak_mb']:7.0f} MB  "
                  f"{ {k: v for k, v in best.items() if k not in ('seconds', 'peak_mb')} }", flush=True)  # fmt: skip
    print()
    for scenario, goal in (("append", "<= 1.10x raw"), ("merge", "<= 1.10x raw"), ("pmerge", ">= 2x faster than raw")):
        if f"{scenario}/raw" in results:
            ratio = results[f"{scenario}/tablespec"]["seconds"] / results[f"{scenario}/raw"]["seconds"]
            print(f"{scenario:7} tablespec / raw = {ratio:.2f}x  (goal {goal})")
    if "csv/tablespec" in results:
        size = (work / "csv" / "big.csv").stat().st_size / 2**30
        print(f"csv     {size:.2f} GB loaded with peak {results['csv/tablespec']['peak_mb']:.0f} MB  (goal < 1536 MB)")
    if opts.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
