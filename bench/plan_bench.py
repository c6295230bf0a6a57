"""Plan benchmarks: what ``tablespec.plan`` costs on top of loading the same tables with deltalake.

Not a test (STYLE.md: speed is measured, never asserted by a timed test). Goal: tablespec's own
overhead below 20 ms per table for a no-change plan.

Scenarios (full sizes; ``--quick`` makes them small):

* many     — 100 tables with 50 commits each, specs without sources: ``plan`` sequentially
             (workers=1) and concurrently (workers=8) vs ``deltalake.DeltaTable(uri)`` for each.
* sources  — the same tables whose specs declare a source of 49 files, all already loaded (98 app
             ids per table, read with one pass over the log): the exactly-once bookkeeping's cost.
* big      — one table with 2,000 commits, each loading one file (4,000 app ids), with deltalake's
             checkpoints (every 100 commits) and with every checkpoint removed: ``plan`` of a spec
             without sources, ``observe`` with all 4,000 app ids, and what per-id
             ``transaction_version`` lookups would cost instead (100 ids, extrapolated).

    /tmp/venv/bin/python bench/plan_bench.py            # full run, a few minutes (building the tables)
    /tmp/venv/bin/python bench/plan_bench.py --quick    # 10 tables x 10 commits, 300 commits
    /tmp/venv/bin/python bench/plan_bench.py --workdir /tmp/plan-bench --keep   # reuse built tables
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: {name}
location: {location}
columns:
  - name: id
    type: long
    nullable: false
  - name: v
    type: string
properties:
  delta.appendOnly: "false"
{sources}"""
SOURCE = """sources:
  - name: feed
    path: {path}
    format: csv
"""


# --- building tables ---------------------------------------------------------------------------------


def build_table(root: Path, group: str, name: str, commits: int, *, files: int) -> Path:
    """A table created as tablespec would, then ``commits - 1`` appends; the first ``files``
    appends each load one CSV source file (with its two app transactions)."""
    import pyarrow as pa

    from tablespec import loadplan
    from tablespec.config import load_config
    from tablespec.diff import desired_properties
    from tablespec.loader import load_specs
    from tablespec.sources import discover
    from tablespec.table import AppTransaction, DeltaTable

    data = root / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (data / f"f{i:05d}.csv").write_text(f"id,v\n{i},x\n", encoding="utf-8")
    spec_dir = root / group / "specs-sources"
    spec_dir.mkdir(parents=True, exist_ok=True)
    (root / group / "specs").mkdir(parents=True, exist_ok=True)
    location = name.replace(".", "/")
    (root / group / "specs" / f"{name}.yaml").write_text(SPEC.format(name=name, location=location, sources=""),
                                                         encoding="utf-8")
    source = SOURCE.format(path=f"../../data/{name}/*.csv") if files else ""
    (spec_dir / f"{name}.yaml").write_text(SPEC.format(name=name, location=location, sources=source), encoding="utf-8")
    config = load_config(start=root, env={})
    [spec] = load_specs([spec_dir / f"{name}.yaml"], config=config)
    found = discover(spec.sources[0], storage_options={}) if files else ()

    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
    table = DeltaTable(spec.uri, {}, name=name)
    table.create(schema, properties=desired_properties(spec), name=name)
    for i in range(commits - 1):
        batch = pa.table({"id": pa.array([i], pa.int64()), "v": ["x"]}, schema=schema)
        txns = []
        if i < len(found):
            ids = loadplan.app_ids_for(spec.sources[0], [found[i]])
            txns = [AppTransaction(ids[0], 1), AppTransaction(ids[1], loadplan.digest_version(found[i].digest))]
        table.append(batch, app_transactions=txns)
    return Path(spec.uri)


def drop_checkpoints(uri: Path) -> None:
    log = uri / "_delta_log"
    for entry in log.iterdir():
        if ".checkpoint." in entry.name or entry.name == "_last_checkpoint":
            entry.unlink()


# --- measuring --------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm up: first deltalake call starts its runtime, OS caches fill
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def raw_loads(uris: list[str]) -> Callable[[], None]:
    def run() -> None:
        from deltalake import DeltaTable

        for uri in uris:
            DeltaTable(uri).version()

    return run


def planning(spec_dir: Path, root: Path, workers: int) -> Callable[[], Any]:
    from tablespec.config import load_config
    from tablespec.loader import load_specs
    from tablespec.planner import plan

    config = load_config(start=root, env={})
    specs = load_specs([spec_dir], config=config)

    def run() -> Any:
        result = plan(specs, config=config, workers=workers)
        assert not result.has_changes, [t.actions for t in result.tables if t.actions]
        return result

    return run


def many(root: Path, tables: int, commits: int, repeat: int, *, reuse: bool) -> list[dict[str, Any]]:
    names = [f"bench.t{i:03d}" for i in range(tables)]
    if not reuse:
        start = time.perf_counter()
        for name in names:
            build_table(root, "many", name, commits, files=min(commits - 1, 49))
        print(f"  built {tables} tables x {commits} commits in {time.perf_counter() - start:.0f}s", flush=True)
    uris = [str(root / "warehouse" / n.replace(".", "/")) for n in names]
    raw = median_ms(timed(raw_loads(uris), repeat))
    rows = [{"scenario": "many", "case": f"deltalake.DeltaTable x {tables}", "ms": raw, "per_table_ms": raw / tables}]
    for label, spec_dir in (("many", root / "many" / "specs"), ("sources", root / "many" / "specs-sources")):
        for workers in (1, 8):
            ms = median_ms(timed(planning(spec_dir, root, workers), repeat))
            row = {"scenario": label, "case": f"plan workers={workers}", "ms": ms, "per_table_ms": ms / tables}
            if workers == 1:
                row["overhead_per_table_ms"] = (ms - raw) / tables
            rows.append(row)
    return rows


def big(root: Path, commits: int, repeat: int, *, reuse: bool) -> list[dict[str, Any]]:
    from deltalake import DeltaTable

    from tablespec import loadplan
    from tablespec.config import load_config
    from tablespec.loader import load_specs
    from tablespec.observe import observe
    from tablespec.sources import discover

    rows = []
    for label, checkpoints in (("big+checkpoint", True), ("big, no checkpoint", False)):
        name = "bench.big_cp" if checkpoints else "bench.big_nocp"
        if not reuse:
            start = time.perf_counter()
            # without checkpoints deltalake replays the whole log on every write (quadratic): build
            # with them, then remove them, which leaves the same commits and no checkpoint
            uri = build_table(root, "big", name, commits, files=commits - 1)
            if not checkpoints:
                drop_checkpoints(uri)
            print(f"  built {label} ({commits} commits) in {time.perf_counter() - start:.0f}s", flush=True)
        uri = root / "warehouse" / name.replace(".", "/")
        config = load_config(start=root, env={})
        [spec] = load_specs([root / "big" / "specs-sources" / f"{name}.yaml"], config=config)
        [bare] = load_specs([root / "big" / "specs" / f"{name}.yaml"], config=config)
        files = discover(spec.sources[0], storage_options={})
        ids = loadplan.app_ids_for(spec.sources[0], files)
        raw = median_ms(timed(raw_loads([str(uri)]), repeat))
        plan_ms = median_ms(timed(planning(root / "big" / "specs" / f"{name}.yaml", root, 1), repeat))

        def observe_all(bare: Any = bare, ids: list[str] = ids) -> None:
            state = observe(bare, storage_options={}, app_ids=ids)
            assert len(state.app_transactions) == len(ids)

        scan = median_ms(timed(observe_all, repeat))
        handle = DeltaTable(str(uri))
        sample = ids[:100]
        start = time.perf_counter()
        for app_id in sample:
            handle.transaction_version(app_id)
        per_id = (time.perf_counter() - start) * 1000 / len(sample)
        rows += [
            {"scenario": label, "case": "deltalake.DeltaTable", "ms": raw},
            {"scenario": label, "case": "plan (no sources)", "ms": plan_ms, "overhead_per_table_ms": plan_ms - raw},
            {"scenario": label, "case": f"observe with {len(ids)} app ids (one log pass)", "ms": scan},
            {"scenario": label, "case": f"transaction_version x {len(ids)} (extrapolated)", "ms": per_id * len(ids)},
        ]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 tables x 10 commits; 300-commit big table")
    parser.add_argument("--tables", type=int, default=None)
    parser.add_argument("--commits", type=int, default=None)
    parser.add_argument("--big-commits", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=None, help="where to build the tables (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep --workdir and reuse its tables next time")
    parser.add_argument("--json", default=None, help="also write the results as JSON to this file")
    args = parser.parse_args()
    tables = args.tables or (10 if args.quick else 100)
    commits = args.commits or (10 if args.quick else 50)
    big_commits = args.big_commits or (300 if args.quick else 2000)

    root = Path(args.workdir or tempfile.mkdtemp(prefix="tablespec-plan-bench-"))
    reuse = args.keep and (root / "warehouse").is_dir()
    root.mkdir(parents=True, exist_ok=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    os.chdir(root)
    try:
        rows = many(root, tables, commits, args.repeat, reuse=reuse) + big(root, big_commits, args.repeat, reuse=reuse)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\n{'scenario':<20} {'case':<52} {'median ms':>10} {'per table':>10} {'overhead/table':>15}")
    for row in rows:
        per = f"{row['per_table_ms']:.1f}" if "per_table_ms" in row else ""
        over = f"{row['overhead_per_table_ms']:.1f}" if "overhead_per_table_ms" in row else ""
        print(f"{row['scenario']:<20} {row['case']:<52} {row['ms']:>10.1f} {per:>10} {over:>15}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
