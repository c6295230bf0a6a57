"""Plan table upkeep (``maintenance:``) from what the log says: pure, no I/O.

Inputs are :class:`~tablespec.model.state.UpkeepState` values that ``observe`` reads from the
Delta log only — every live file's size and partition values, the z-order records tablespec left
in commit metadata, and the commit files with their modification times — so planning reads no
data file. Each function returns one action or None; ``diff`` calls :func:`upkeep_actions`, and the
actions' order keys place them: loads, then optimize, then vacuum, then log cleanup, then checkpoint.

Rules (docs/upkeep.md says the same for users):

* **Compaction**: a partition is planned when it holds at least ``min_small_files`` files smaller
  than half the target size. delta-rs then rewrites every file in it smaller than the target
  (those are what the plan counts) into bins of about the target size, so the expected output is
  bytes / target, at least one file. One small file left over afterwards is below any
  ``min_small_files`` (at least 2), so a compacted table plans no changes.
* **Z-order**: a partition is planned when it holds a file that its last z-order by the same
  columns did not write — a partition that received data since, or was never z-ordered — however
  few its files: delta-rs's own z-order rewrites every partition every time (delta-rs #3159).
  A partition is clean when every live file in it was written by one tablespec z-order commit by
  the same columns (its ``tablespec.optimize`` commit metadata; its ``add`` actions are the files
  it wrote).
* **Log cleanup**: exactly delta-rs 1.6's rule (``cleanup_expired_logs_for``): the oldest log entry
  (commit or checkpoint file) newer than ``now - retention``, or the current version, bounds a
  checkpoint at or below it; log entries before that checkpoint and older than the cutoff go. Any of them newer than ``now -`` the
  retention the table promised before this apply makes the cleanup destructive.
* **Checkpoint**: planned when at least ``checkpoint_interval`` commits were written since the
  newest checkpoint (or since version 0 when there is none).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from tablespec.model.actions import Action, Checkpoint, CleanupLog, Optimize, PartitionWork, Unsupported
from tablespec.model.durations import parse_duration
from tablespec.model.features import unwritable
from tablespec.model.keys import DEFAULT_LOG_RETENTION_SECONDS, LOG_RETENTION
from tablespec.model.spec import MaintenanceSpec, OptimizeSpec, TableSpec
from tablespec.model.state import DataFile, PartitionValues, TableState, UpkeepState


def plan_optimize(table: str, spec: OptimizeSpec, files: Iterable[DataFile],
                  zordered: Iterable[tuple[str, int, tuple[str, ...]]] = ()) -> Optimize | None:
    by_partition: dict[PartitionValues, list[DataFile]] = {}
    for f in files:
        by_partition.setdefault(f.partition, []).append(f)
    target = spec.target_size
    work: list[PartitionWork] = []
    marks = {path: (version, tuple(c.lower() for c in columns)) for path, version, columns in zordered}
    wanted = tuple(c.lower() for c in spec.z_order)
    for values in sorted(by_partition, key=_sort_key):
        found = by_partition[values]
        if spec.z_order:
            written = {marks.get(f.path) for f in found}
            mark = next(iter(written)) if len(written) == 1 else None
            if mark is not None and mark[1] == wanted:
                continue  # every file is from one z-order by these columns: nothing arrived since
            work.append(_work(values, found, target))
        elif sum(1 for f in found if f.size < target / 2) >= spec.min_small_files:
            work.append(_work(values, [f for f in found if f.size < target], target))
    if not work:
        return None
    return Optimize(table, target_size=target, z_order=spec.z_order, partitions=tuple(work))


def _work(values: PartitionValues, files: list[DataFile], target: int) -> PartitionWork:
    size = sum(f.size for f in files)
    return PartitionWork(values, len(files), size, max(1, math.ceil(size / target)))


def _sort_key(values: PartitionValues) -> tuple[tuple[str, int, str], ...]:
    return tuple((c, v is None, v or "") for c, v in values)


def plan_cleanup(table: str, upkeep: UpkeepState, *, version: int, retention_s: int, promised_s: int) -> CleanupLog | None:
    entries = [(v, mtime, False) for v, mtime in upkeep.commits] + [(v, mtime, True) for v, mtime in upkeep.checkpoint_files]
    cutoff = upkeep.now_ms - retention_s * 1000
    keep = min(min((v for v, mtime, _ in entries if mtime >= cutoff), default=version), version)
    safe = max((c for c in upkeep.checkpoints if c <= keep), default=None)
    if safe is None:
        return None
    removed = [(v, mtime, checkpoint) for v, mtime, checkpoint in entries if v < safe and mtime <= cutoff]
    if not removed:
        return None
    commits = {v for v, _, checkpoint in removed if not checkpoint}
    checkpoints = {v for v, _, checkpoint in removed if checkpoint}
    promised = upkeep.now_ms - promised_s * 1000
    return CleanupLog(
        table,
        retention_seconds=retention_s,
        entries=len(commits),
        checkpoint_files=sum(1 for _, _, checkpoint in removed if checkpoint),
        through_version=max(v for v, _, _ in removed),
        oldest_kept=earliest_readable({v for v, _ in upkeep.commits} - commits, set(upkeep.checkpoints) - checkpoints,
                                      version),
        unsafe_entries=sum(1 for _, mtime, _ in removed if mtime > promised),
        promised_seconds=promised_s,
    )


def earliest_readable(commits: Iterable[int], checkpoints: Iterable[int], version: int) -> int:
    """The oldest version reconstructable from these files: version 0 or a checkpoint from which
    every later commit up to ``version`` is present (PROTOCOL.md "Checkpoints")."""
    present = set(commits)
    starts = sorted({*checkpoints, *([0] if 0 in present else [])})
    for start in starts:
        if start <= version and all(v in present for v in range(start + 1, version + 1)):
            return start
    return version


def plan_checkpoint(table: str, upkeep: UpkeepState, *, version: int, interval: int) -> Checkpoint | None:
    last = max((c for c in upkeep.checkpoints if c <= version), default=None)
    since = version - last if last is not None else version + 1
    if since < interval:
        return None
    return Checkpoint(table, version=version, commits_since=since, interval=interval)


def plan_upkeep(table: str, maintenance: MaintenanceSpec, upkeep: UpkeepState | None, *, version: int,
                log_retention_s: int, promised_s: int) -> list[Optimize | CleanupLog | Checkpoint]:
    """Every upkeep action ``maintenance`` asks for, given the observed ``upkeep`` state."""
    if upkeep is None:
        return []
    actions: list[Optimize | CleanupLog | Checkpoint] = []
    if maintenance.optimize is not None:
        optimize = plan_optimize(table, maintenance.optimize, upkeep.files, upkeep.zordered)
        if optimize is not None:
            actions.append(optimize)
    if maintenance.log_cleanup:
        cleanup = plan_cleanup(table, upkeep, version=version, retention_s=log_retention_s, promised_s=promised_s)
        if cleanup is not None:
            actions.append(cleanup)
    if maintenance.checkpoint_interval:
        checkpoint = plan_checkpoint(table, upkeep, version=version, interval=maintenance.checkpoint_interval)
        if checkpoint is not None:
            actions.append(checkpoint)
    return actions


def record(action: Optimize, work: PartitionWork) -> dict[str, object]:
    """The ``tablespec.optimize`` commit metadata of one partition's optimize commit: what
    :func:`plan_optimize` reads back to know which partitions are already z-ordered."""
    return {"z_order": list(action.z_order), "target_size": action.target_size,
            "partitions": [{c: v for c, v in work.values}]}


def upkeep_actions(spec: TableSpec, state: TableState, planned: Sequence[Action]) -> list[Action]:
    """What ``diff`` adds for an existing table: the ``maintenance:`` actions (log cleanup runs with
    the retention the spec declares, which apply sets first, and is destructive past the one the
    table promised so far), then the feature guard over everything planned."""
    promised = _seconds(state.properties_dict.get(LOG_RETENTION), DEFAULT_LOG_RETENTION_SECONDS)
    actions: list[Action] = list(plan_upkeep(spec.name, spec.maintenance, state.upkeep, version=state.version or 0,
                                             log_retention_s=spec.retention.log or promised, promised_s=promised))
    return actions + _unwritable(spec, state, [*planned, *actions])


def _unwritable(spec: TableSpec, state: TableState, actions: Sequence[Action]) -> list[Action]:
    """A table whose protocol has a feature delta-rs 1.6 cannot write (model.features): any change
    is refused up front, rather than failing half-way inside deltalake."""
    features = unwritable([*state.writer_features, *state.reader_features])
    if not actions or not features:
        return []
    names = ", ".join(f.name for f in features)
    return [Unsupported(spec.name, what=f"write to table {spec.name}, which uses {names}",
                        reason=f"the table uses {names}; delta-rs 1.6 refuses every write to a table with "
                               f"{'this feature' if len(features) == 1 else 'these features'} "
                               "('Unsupported table features'), so tablespec changes nothing in it")]


def _seconds(text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError:
        return default  # an unreadable value must not shorten a retention
