"""Table upkeep at the Delta boundary: what planning ``maintenance:`` reads from the log (never a
data file), and the operations apply runs — optimize (compaction or z-order) of one partition,
checkpoints, log cleanup — each a thin call into deltalake with tablespec's commit properties and
error translation.

Read from the log: every live file's size and partition values (deltalake's add actions), the
files tablespec's own z-orders wrote (the ``add`` actions of commits whose commit metadata carries
``tablespec.optimize``), and the commit and checkpoint files present with their modification times
(Delta's age of a log entry, which log cleanup goes by).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tablespec.delta import log as deltalog
from tablespec.delta.commit import commit_properties
from tablespec.model.keys import OPTIMIZE_KEY
from tablespec.model.spec import MaintenanceSpec
from tablespec.model.state import DataFile, UpkeepState

if TYPE_CHECKING:
    import deltalake

    from tablespec.delta.table import DeltaTable

# z-order sorts whole partitions; beyond this many bytes in memory DataFusion spills to disk.
MAX_SPILL_BYTES = 2 * 1024**3


def upkeep_state(raw: deltalake.DeltaTable, fs: Any, listing: deltalog.Listing, maintenance: MaintenanceSpec, *,
                 now_ms: int, workers: int = 1) -> UpkeepState:
    optimize = maintenance.optimize
    files = data_files(raw) if optimize is not None else ()
    zordered: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    if optimize is not None and optimize.z_order:
        live = {f.path for f in files}
        marks = zorder_marks(fs, listing, int(raw.version()), workers=workers)
        zordered = tuple(sorted((path, v, cols) for path, (v, cols) in marks.items() if path in live))
    return UpkeepState(
        files=files,
        zordered=zordered,
        commits=tuple(sorted((v, f.mtime_ms or 0) for v, f in listing.commits.items())),
        checkpoints=tuple(sorted(listing.checkpoints)),
        checkpoint_files=tuple(sorted((v, f.mtime_ms or 0) for v, parts in listing.checkpoints.items() for f in parts)),
        now_ms=now_ms,
    )


def data_files(raw: deltalake.DeltaTable) -> tuple[DataFile, ...]:
    """Every live file: path (percent-decoded), size, partition values as Delta writes them."""
    import pyarrow as pa

    columns = list(raw.metadata().partition_columns)
    adds = pa.table(raw.get_add_actions(flatten=True))
    if adds.num_rows == 0:
        return ()
    paths = adds.column("path").to_pylist()
    sizes = adds.column("size_bytes").to_pylist()
    values = [adds.column(f"partition.{c}").to_pylist() for c in columns]
    return tuple(
        DataFile(unquote(path), int(size or 0), tuple((c, partition_text(v[i])) for c, v in zip(columns, values)))
        for i, (path, size) in enumerate(zip(paths, sizes))
    )


def partition_text(value: Any) -> str | None:
    """A typed partition value as the text Delta stores in ``partitionValues`` (None: null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def zorder_marks(fs: Any, listing: deltalog.Listing, version: int, *, workers: int = 1
                 ) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Files written by tablespec z-orders -> (commit version, z-order columns); newest wins.
    Only commit files mentioning ``tablespec.optimize`` are parsed."""
    versions = sorted(v for v in listing.commits if v <= version)

    def read(v: int) -> str:
        with fs.open_input_stream(listing.commits[v].path) as stream:
            return stream.read().decode("utf-8")

    if workers > 1 and len(versions) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(versions))) as pool:
            texts = list(pool.map(read, versions))
    else:
        texts = [read(v) for v in versions]
    marks: dict[str, tuple[int, tuple[str, ...]]] = {}
    for v, text in zip(versions, texts):
        if OPTIMIZE_KEY not in text:
            continue
        actions = [json.loads(line) for line in text.splitlines() if line.strip()]
        columns = _zorder_columns(actions)
        if not columns:
            continue
        for action in actions:
            if action.get("add"):
                marks[unquote(action["add"]["path"])] = (v, columns)
    return marks


def _zorder_columns(actions: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    for action in actions:
        info = action.get("commitInfo")
        if info and isinstance(info.get(OPTIMIZE_KEY), dict):
            return tuple(str(c) for c in info[OPTIMIZE_KEY].get("z_order") or ())
    return ()


# --- operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeResult:
    files_added: int
    files_removed: int
    version: int


def optimize(table: DeltaTable, *, partition: Sequence[tuple[str, str | None]] = (), target_size: int,
             z_order: Sequence[str] = (), commit_metadata: Mapping[str, Any] | None = None) -> OptimizeResult:
    """Compact (or z-order by ``z_order``) the files of one partition (``()``: the whole table)
    into files of about ``target_size`` bytes. ``partition`` holds Delta partition value texts;
    a null partition value is matched by "" (how deltalake's filters spell it). A commit conflict
    is redone on the new snapshot: compaction is declarative."""
    filters = [(column, "=", "" if value is None else value) for column, value in partition] or None
    tasks = max(1, min(4, os.cpu_count() or 1))

    def attempt() -> OptimizeResult:
        handle = table.raw()
        props = commit_properties(commit_metadata)
        with table._errors("z-order" if z_order else "optimize"):
            if z_order:
                metrics = handle.optimize.z_order(list(z_order), partition_filters=filters, target_size=target_size,
                                                  max_concurrent_tasks=tasks, max_spill_size=MAX_SPILL_BYTES,
                                                  commit_properties=props)
            else:
                metrics = handle.optimize.compact(partition_filters=filters, target_size=target_size,
                                                  max_concurrent_tasks=tasks, commit_properties=props)
        return OptimizeResult(int(metrics.get("numFilesAdded", 0)), int(metrics.get("numFilesRemoved", 0)),
                              int(handle.version()))

    return table._retrying(attempt)


def create_checkpoint(table: DeltaTable) -> int:
    """Write a checkpoint at the current version; returns that version."""
    handle = table.raw()
    with table._errors("checkpoint"):
        handle.create_checkpoint()
    return int(handle.version())


def cleanup_log(table: DeltaTable) -> int:
    """Delete expired log entries (deltalake's ``cleanup_metadata``: older than the table's
    delta.logRetentionDuration, before a checkpoint); returns how many commit files went."""
    fs = table._fs()
    before = len(deltalog.list_log(fs).commits)
    handle = table.raw()
    with table._errors("log cleanup"):
        handle.cleanup_metadata()
    return before - len(deltalog.list_log(fs).commits)
