"""Run a plan: each table's actions in a fixed order, tables independently of each other.

The executor never prints and never decides exit codes (STYLE.md, the pip-tools lesson): it
returns an :class:`ApplyReport` that the CLI renders and maps to a code.

Per table:

1. **Guards.** Actions of class ``rewrite`` or ``destructive`` need the matching ``allow``;
   ``unsupported`` ones are never done. Any refused action refuses the whole table: nothing of
   it is applied. Allowed rewrites are then *prechecked* read-only (no nulls before NOT NULL,
   every value survives a narrowing, ...) so a rewrite that cannot succeed also refuses the
   table before anything is written (:mod:`tablespec.rewrite`).
2. **Drift.** If the table's version is not the one the plan observed, another writer got there
   first. A saved plan is then stale (refused); a fresh plan is re-planned for that table.
3. **Actions**, one handler per action type (:data:`tablespec.handlers.HANDLERS`), in :func:`execution_order`.
   Every commit carries the commit metadata ``tablespec.version``, ``tablespec.plan_id`` and
   ``tablespec.spec_hash``.
4. **Conflicts.** When an action fails because another writer committed meanwhile (two applies at
   once), a fresh plan re-plans the table and carries on from where the log now stands; each
   action is declarative, so this converges. Other failures stop the table and are reported.

Tables run on a thread pool (deltalake releases the GIL in Rust); the report lists them sorted
by name whatever the order they finished in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tablespec import __version__
from tablespec.actions import (
    SCHEMA,
    Action,
    ChangeColumnType,
    ChangePartitioning,
    DropColumn,
    DropConstraint,
    Plan,
    TablePlan,
    TightenNullability,
    Vacuum,
)
from tablespec.config import Config, redact
from tablespec.errors import ConcurrentModification, DataError, Refused, SchemaMismatch, StalePlan, TablespecError
from tablespec.handlers import HANDLERS, PRECHECKS
from tablespec.spec import TableSpec

if TYPE_CHECKING:
    from tablespec.table import DeltaTable

Status = Literal["applied", "failed", "refused", "skipped"]
Progress = Callable[[str, str, int, int], None]  # (table, step, done, total)
ALLOWABLE = ("rewrite", "destructive")
PLAN_ID_KEY = "tablespec.plan_id"
SPEC_HASH_KEY = "tablespec.spec_hash"
VERSION_KEY = "tablespec.version"
# Re-plans after a concurrent writer got in the way, per table; each one starts from newer state.
MAX_REPLANS = 3
# Crash tests: pause after an action of this type (optionally "Type@table") and touch the file in
# TABLESPEC_TEST_PAUSE_MARKER, so a test can SIGKILL the process at a known point. Unset in real use.
PAUSE_ENV, PAUSE_MARKER_ENV = "TABLESPEC_TEST_PAUSE_AFTER", "TABLESPEC_TEST_PAUSE_MARKER"


@dataclass(frozen=True)
class Refusal:
    """One action apply would not do, with why and what would permit it."""

    action: Action
    reason: str
    hint: str = ""


@dataclass(frozen=True)
class TableReport:
    table: str
    uri: str
    status: Status
    actions: tuple[Action, ...] = ()  # the actions done, in the order they were done
    version_before: int | None = None  # None: the table did not exist
    version_after: int | None = None
    seconds: float = 0.0
    loads: tuple[Any, ...] = ()  # tablespec.loads.LoadOutcome, one per load done
    refused: tuple[Refusal, ...] = ()
    error: str = ""
    error_type: str = ""
    hint: str = ""
    notes: tuple[str, ...] = ()  # re-plans, properties reset rather than removed, ...


@dataclass(frozen=True)
class ApplyReport:
    plan_id: str
    tables: tuple[TableReport, ...]
    seconds: float = 0.0
    tablespec_version: str = __version__

    def count(self, status: Status) -> int:
        return sum(1 for t in self.tables if t.status == status)

    @property
    def failed(self) -> bool:
        return any(t.status == "failed" for t in self.tables)

    @property
    def refused(self) -> bool:
        return any(t.status == "refused" for t in self.tables)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.refused


# --- guards -------------------------------------------------------------------------------------


def guard(table_plan: TablePlan, allow: Iterable[str]) -> tuple[Refusal, ...]:
    """The actions the risk classes forbid: rewrite/destructive without ``allow``, unsupported always.

    The rule lives on the action types (``Action.risk``); this only compares classes. Vacuum is
    destructive only when ``Vacuum.unsafe_files`` says time travel inside the log retention
    window would break.
    """
    allowed = set(allow)
    refused = []
    for action in table_plan.actions:
        risk = action.risk
        if risk == "unsupported":
            refused.append(Refusal(action, action.refused_reason or "not supported", "change the spec; tablespec cannot do this"))
        elif risk in ALLOWABLE and risk not in allowed:
            refused.append(Refusal(action, action.refused_reason, f"pass --allow {risk} to do it as a verified rewrite"
                                   if risk == "rewrite" or not _is_vacuum(action) else f"pass --allow {risk} to vacuum anyway"))
    return tuple(refused)


def _is_vacuum(action: Action) -> bool:
    return isinstance(action, Vacuum)


# Within the schema phase: constraints the plan drops go first (so a dropped column is free of
# them), additive changes before rewrites, and repartitioning before dropping a column.
_RANK: dict[type[Action], int] = {
    DropConstraint: 0, ChangeColumnType: 3, TightenNullability: 4, ChangePartitioning: 5, DropColumn: 6,
}  # fmt: skip


def execution_order(actions: Sequence[Action]) -> tuple[Action, ...]:
    """The fixed order actions run in: by phase (actions.py), stable within it, with the
    exceptions in ``_RANK`` (a dropped constraint runs at the start of the schema phase)."""

    def key(action: Action) -> tuple[int, int]:
        if isinstance(action, DropConstraint):
            return (SCHEMA, 0)
        return (action.phase, _RANK.get(type(action), 1 if action.phase == SCHEMA else 0))

    return tuple(sorted(actions, key=key))


def commit_metadata(plan_id: str, spec_hash: str) -> dict[str, str]:
    """What every commit apply makes carries (provenance, visible in ``tablespec history``)."""
    return {VERSION_KEY: __version__, PLAN_ID_KEY: plan_id, SPEC_HASH_KEY: spec_hash}


# --- running ------------------------------------------------------------------------------------


@dataclass
class Run:
    """One table's apply in progress: what handlers read and append to."""

    spec: TableSpec
    plan: TablePlan
    table: DeltaTable
    metadata: dict[str, str]
    allow: frozenset[str]
    config: Config
    progress: Progress | None = None
    done: list[Action] = field(default_factory=list)
    loads: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: int | None = None  # the table's version after our last commit (or as found)
    folded: set[int] = field(default_factory=set)  # ids of actions done inside another's commit
    position: tuple[int, int] = (0, 0)  # (actions done, actions in total), for progress

    def step(self, what: str, done: int | None = None, total: int | None = None) -> None:
        if done is not None and total is not None:
            self.position = (done, total)
        if self.progress is not None:
            self.progress(self.spec.name, what, *self.position)


def apply_plan(
    plan: Plan,
    specs: Sequence[TableSpec],
    *,
    config: Config,
    allow: Iterable[str] = (),
    saved: bool = False,
    workers: int = 4,
    progress: Progress | None = None,
) -> ApplyReport:
    """Apply every table of ``plan``; ``specs`` give the sources and the names (re-read, not from
    the plan). ``saved``: the plan came from a file, so drift is stale rather than re-planned."""
    started = time.monotonic()
    allowed = frozenset(allow)
    unknown = allowed - set(ALLOWABLE)
    if unknown:
        raise ValueError(f"allow takes {' and '.join(ALLOWABLE)}, not {', '.join(sorted(unknown))}")
    by_name = {s.name: s for s in specs}
    plan_id = plan.plan_id or plan.with_id().plan_id

    def one(table_plan: TablePlan) -> TableReport:
        spec = by_name.get(table_plan.table)
        if spec is None:
            return TableReport(table_plan.table, table_plan.uri, "failed", error=f"no spec for table {table_plan.table}",
                               error_type="UsageError", version_before=table_plan.observed_version)
        return apply_table(table_plan, spec, config=config, allow=allowed, plan_id=plan_id, saved=saved, progress=progress)

    tables = sorted(plan.tables, key=lambda t: t.table)
    if workers <= 1 or len(tables) <= 1:
        reports = [one(t) for t in tables]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(tables)), thread_name_prefix="tablespec-apply") as pool:
            reports = list(pool.map(one, tables))
    return ApplyReport(plan_id=plan_id, tables=tuple(reports), seconds=time.monotonic() - started)


def apply_table(
    table_plan: TablePlan,
    spec: TableSpec,
    *,
    config: Config,
    allow: frozenset[str],
    plan_id: str,
    saved: bool = False,
    progress: Progress | None = None,
) -> TableReport:
    """One table: guard, precheck, run; never raises for the table's own failures."""
    from tablespec.table import DeltaTable

    started = time.monotonic()
    table = DeltaTable(table_plan.uri, config.storage_options(table_plan.uri), name=spec.name)
    run = Run(spec, table_plan, table, commit_metadata(plan_id, table_plan.spec_hash), allow, config, progress)
    before = table_plan.observed_version
    try:
        before = run.version = _version(table)
        if before != table_plan.observed_version:
            if saved:
                raise StalePlan(spec.name, table_plan.observed_version, before, "the table changed since the plan")
            run.plan = _replan(run, f"the table moved from version {_v(table_plan.observed_version)} to {_v(before)} since the plan")
        if not run.plan.actions:
            return _report(run, "skipped", before, started)
        refused = guard(run.plan, allow)
        if refused:
            return _report(run, "refused", before, started, refused=refused)
        _precheck(run)
        _execute(run, saved)
    except Refused as e:
        return _report(run, "refused", before, started, error=e)
    except TablespecError as e:
        return _report(run, "failed", before, started, error=e)
    except Exception as e:  # noqa: BLE001 - one table's bug must not stop the others
        return _report(run, "failed", before, started, error=e)
    return _report(run, "applied" if run.done else "skipped", before, started)


def _precheck(run: Run) -> None:
    from tablespec import rewrite

    for action in run.plan.actions:
        if isinstance(action, (DropColumn, ChangeColumnType, TightenNullability, ChangePartitioning)):
            rewrite.precheck(run.table, action, run.plan.actions)
        check = PRECHECKS.get(type(action))
        if check is not None:
            check(run, action)


def _execute(run: Run, saved: bool) -> None:
    """Run the plan's actions; on interference from another writer, re-plan (fresh plans only)."""
    replans = 0
    while True:
        actions = execution_order(run.plan.actions)
        index = 0
        try:
            for index, action in enumerate(actions):
                run.step(_label(action), index, len(actions))
                HANDLERS[type(action)](run, action)
                run.done.append(action)
                run.version = _version(run.table)
                _pause_for_tests(action, run.spec.name)
            run.step("done", len(actions), len(actions))
            return
        except Refused:
            raise
        except TablespecError as e:
            if saved or replans >= MAX_REPLANS or not _interfered(run, e):
                raise
            replans += 1
            run.version = _version(run.table)
            run.plan = _replan(run, f"{_label(actions[index])} failed while the table moved (another writer?): "
                                    f"{e.message.splitlines()[0]}")
            refused = guard(run.plan, run.allow)
            if refused:
                raise Refused(f"after re-planning table {run.spec.name}: {refused[0].reason}", hint=refused[0].hint) from e
            _precheck(run)


def _interfered(run: Run, error: TablespecError) -> bool:
    """Whether another writer caused ``error``: a commit conflict, or the log moved past our
    last commit (e.g. a concurrent apply created the table or added the column first)."""
    from tablespec.table import TableExists

    if isinstance(error, (ConcurrentModification, TableExists)):
        return True
    if isinstance(error, DataError) and not isinstance(error, SchemaMismatch):
        return False  # bad source data stays bad; a load's earlier per-file commits moved the log, not others
    try:
        current = _version(run.table)
    except TablespecError:
        return False
    return current != run.version


def _replan(run: Run, why: str) -> TablePlan:
    from tablespec.applier import settled
    from tablespec.planner import plan_table

    fresh = settled(lambda: plan_table(run.spec, run.config))
    run.notes.append(f"re-planned: {why}")
    return fresh


def _version(table: DeltaTable) -> int | None:
    return table.version if table.exists() else None


def _v(version: int | None) -> str:
    return "none" if version is None else str(version)


def _label(action: Action) -> str:
    return type(action).__name__ + (f" {getattr(action, 'source', '')}" if getattr(action, "source", "") else "")


def _report(run: Run, status: Status, before: int | None, started: float, *, refused: tuple[Refusal, ...] = (),
            error: BaseException | None = None) -> TableReport:
    try:
        after = _version(run.table) if status != "refused" or run.done else before
    except Exception:  # noqa: BLE001 - the report must still be made
        after = None
    message = type_name = hint = ""
    if error is not None:
        type_name = type(error).__name__
        if isinstance(error, TablespecError):
            message, hint = error.message, error.hint
        else:
            message = f"unexpected {type_name}: {error}"
        message = redact(message, run.config.secrets())
    return TableReport(
        table=run.spec.name,
        uri=run.plan.uri,
        status=status,
        actions=tuple(run.done),
        version_before=before,
        version_after=after,
        seconds=round(time.monotonic() - started, 3),
        loads=tuple(run.loads),
        refused=refused,
        error=message,
        error_type=type_name,
        hint=hint,
        notes=tuple(run.notes),
    )


def _pause_for_tests(action: Action, table: str) -> None:
    """The crash tests' hook (see PAUSE_ENV): a no-op unless the variable is set."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    kind, _, only = wanted.partition("@")
    if kind != type(action).__name__ or (only and only != table):
        return
    marker = os.environ.get(PAUSE_MARKER_ENV)
    if marker:
        with open(marker, "a", encoding="utf-8") as f:
            f.write(f"{type(action).__name__} {table}\n")
    time.sleep(600)

