"""Plan group: what ``tablespec.plan`` costs on top of loading the same tables with deltalake.

Goal: tablespec's own overhead below 20 ms per table for a no-change plan. Every case runs in
this process (plans read the log only; there is no memory to measure):

* many tables — ``tables`` tables of ``commits`` commits each, the first 49 appends of each loading
  one CSV file. ``deltalake.DeltaTable(uri)`` for each (the baseline) vs ``tablespec.plan`` of their
  specs, sequentially (``workers=1``; the overhead per table is measured on this one) and
  concurrently (``workers=8``), with specs that declare no source and with specs whose source
  names the 49 loaded files (98 app transactions per table to look up). In-process, a file's
  hash is cached after the warm-up: the bookkeeping group measures the cold cost from the CLI.
* one big table — ``big_commits`` commits, each after the first loading one file, with the
  checkpoints deltalake writes (every 100 commits) and with every checkpoint removed (so the whole
  JSON log is replayed): raw load vs ``plan`` without sources vs ``plan`` of the source naming all
  loaded files.

The tables are built by tablespec (``apply`` creates them) and then grown with
``tablespec.DeltaTable.append`` carrying the app transactions a load of each file would carry
(``tablespec.planning.exactly_once`` names them): the same log a real run leaves, built in seconds, not hours.
Every plan is checked to have no changes, which also proves the bookkeeping was built right.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import Result, measure

GROUP = "plan"
LOADED_FILES = 49

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


def write_specs(root: Path, group: str, name: str, *, location: str, data: Path | None) -> tuple[Path, Path]:
    """The table's spec without sources (``<group>/specs``) and with its CSV source
    (``<group>/specs-sources``)."""
    bare, full = root / group / "specs" / f"{name}.yaml", root / group / "specs-sources" / f"{name}.yaml"
    for path, sources in ((bare, ""), (full, SOURCE.format(path=f"{data}/*.csv") if data else "")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SPEC.format(name=name, location=location, sources=sources), encoding="utf-8")
    return bare, full


def build_table(root: Path, group: str, name: str, commits: int, *, files: int, batch: int = 1) -> Path:
    """Create the table with ``tablespec.apply``, then append until it has ``commits`` commits;
    the first appends each record ``batch`` of the ``files`` CSV source files as loaded (their two
    app transactions per file). Returns the table's folder."""
    import pyarrow as pa

    import tablespec
    from tablespec.config import load_config
    from tablespec.delta.table import AppTransaction
    from tablespec.planning import exactly_once as loadplan
    from tablespec.sources.discover import discover

    data = root / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (data / f"f{i:05d}.csv").write_text(f"id,v\n{i},x\n", encoding="utf-8")
    bare, full = write_specs(root, group, name, location=name.replace(".", "/"), data=data if files else None)
    config = load_config(start=root, env={})
    report = tablespec.apply([bare], config=config)
    assert report.ok, report
    [spec] = tablespec.load_specs([full], config=config)
    found = discover(spec.sources[0], storage_options={}) if files else ()
    table = tablespec.DeltaTable(spec.uri)
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())])
    for i in range(commits - 1):
        chunk = found[i * batch : (i + 1) * batch]
        txns = []
        for file, ids in ((f, loadplan.app_ids_for(spec.sources[0], [f])) for f in chunk):
            txns += [AppTransaction(ids[0], 1), AppTransaction(ids[1], loadplan.digest_version(file.digest))]
        rows = pa.table({"id": pa.array([i], pa.int64()), "v": ["x"]}, schema=schema)
        table.append(rows, app_transactions=txns)
    return Path(spec.uri)


def drop_checkpoints(uri: Path) -> None:
    for entry in (uri / "_delta_log").iterdir():
        if ".checkpoint." in entry.name or entry.name == "_last_checkpoint":
            entry.unlink()


# --- measuring ---------------------------------------------------------------------------------------


def raw_loads(uris: list[str]) -> Callable[[], None]:
    def run() -> None:
        from deltalake import DeltaTable

        for uri in uris:
            DeltaTable(uri).version()

    return run


def planning(specs_path: Path, root: Path, workers: int) -> Callable[[], Any]:
    import tablespec
    from tablespec.config import load_config

    config = load_config(start=root, env={})
    specs = tablespec.load_specs([specs_path], config=config)

    def run() -> Any:
        result = tablespec.plan(specs, config=config, workers=workers)
        assert not result.has_changes, [t.actions for t in result.tables if t.actions]
        return result

    return run


def overhead_note(result: Result, raw: Result, tables: int) -> None:
    per_table = (result.median - raw.median) / tables * 1000
    result.extra["overhead_per_table_ms"] = round(per_table, 2)
    result.note = f"{per_table:.1f} ms/table over raw (goal < 20)"


def cases(work: Path, *, tables: int, commits: int, big_commits: int, repeat: int) -> list[Result]:
    root = work / GROUP
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    return many(root, tables, commits, repeat) + big(root, big_commits, repeat)


def many(root: Path, tables: int, commits: int, repeat: int) -> list[Result]:
    names = [f"bench.t{i:03d}" for i in range(tables)]
    start = time.perf_counter()
    uris = [str(build_table(root, "many", n, commits, files=min(commits - 1, LOADED_FILES))) for n in names]
    built = time.perf_counter() - start
    raw = Result(GROUP, f"deltalake.DeltaTable x {tables}", measure(raw_loads(uris), repeat=repeat),
                 note=f"{tables} tables x {commits} commits (built in {built:.0f} s)")  # fmt: skip
    results = [raw]
    loaded = min(commits - 1, LOADED_FILES)
    for label, folder in (("", "specs"), (f", sources of {loaded} loaded files", "specs-sources")):
        for workers in (1, 8):
            result = Result(GROUP, f"plan {tables} tables{label}, workers={workers}",
                            measure(planning(root / "many" / folder, root, workers), repeat=repeat),
                            baseline=raw.case)  # fmt: skip
            if workers == 1:
                overhead_note(result, raw, tables)
            results.append(result)
    return results


def big(root: Path, commits: int, repeat: int) -> list[Result]:
    start = time.perf_counter()
    # Without checkpoints deltalake replays the whole log on every write (quadratic): build with
    # them, then copy the table and remove the copy's checkpoints (same commits, no checkpoint).
    with_cp = build_table(root, "big", "bench.big_cp", commits, files=commits - 1)
    without = root / "warehouse" / "bench" / "big_nocp"
    shutil.copytree(with_cp, without)
    drop_checkpoints(without)
    write_specs(root, "big", "bench.big_nocp", location="bench/big_nocp", data=root / "data" / "bench.big_cp")
    built = time.perf_counter() - start
    results = []
    for label, name, uri in (("checkpoint", "bench.big_cp", with_cp), ("no checkpoint", "bench.big_nocp", without)):
        raw = Result(GROUP, f"deltalake.DeltaTable, {commits} commits, {label}", measure(raw_loads([str(uri)]), repeat=repeat),
                     note=f"built in {built:.0f} s" if name == "bench.big_cp" else "")  # fmt: skip
        bare = Result(GROUP, f"plan {commits} commits, {label}",
                      measure(planning(root / "big" / "specs" / f"{name}.yaml", root, 1), repeat=repeat),
                      baseline=raw.case)  # fmt: skip
        overhead_note(bare, raw, 1)
        sourced = Result(GROUP, f"plan {commits} commits, {label}, source of {commits - 1} loaded files",
                         measure(planning(root / "big" / "specs-sources" / f"{name}.yaml", root, 1), repeat=repeat),
                         baseline=raw.case, note=f"{2 * (commits - 1)} app ids looked up")  # fmt: skip
        results += [raw, bare, sourced]
    return results
