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
3. **Actions**, one handler per action type (:data:`HANDLERS`), in :func:`execution_order`.
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
    AddColumns,
    AddConstraint,
    ChangeColumnType,
    ChangePartitioning,
    ColumnDef,
    CreateTable,
    DropColumn,
    DropConstraint,
    LoadSource,
    Plan,
    RelaxNullability,
    SetColumnComment,
    SetDescription,
    SetProperties,
    TablePlan,
    TightenNullability,
    UnsetProperties,
    Unsupported,
    Vacuum,
)
from tablespec.config import Config, redact
from tablespec.errors import ConcurrentModification, DataError, Refused, SchemaMismatch, StalePlan, TablespecError
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


# --- handlers: one per action type ----------------------------------------------------------------

# delta-rs 1.6 cannot remove a table property (there is no UNSET TBLPROPERTIES). Removing one is
# done by setting Delta's documented default, which every reader treats the same as absent
# (PROTOCOL.md and the Delta table-properties reference). A ``delta.`` key with no default here is
# refused; a custom key (no meaning to Delta) is set to "".
DELTA_DEFAULTS = {
    "delta.appendOnly": "false",
    "delta.enableChangeDataFeed": "false",
    "delta.logRetentionDuration": "interval 30 days",
    "delta.deletedFileRetentionDuration": "interval 7 days",
    "delta.enableExpiredLogCleanup": "true",
    "delta.dataSkippingNumIndexedCols": "32",
    "delta.randomizeFilePrefixes": "false",
}


def _arrow_field(column: ColumnDef) -> Any:
    import pyarrow as pa

    from tablespec.types import parse_type, to_arrow

    meta = {"comment": column.comment} if column.comment else None
    return pa.field(column.name, to_arrow(parse_type(column.type)), nullable=column.nullable, metadata=meta)


def _create(run: Run, action: CreateTable) -> None:
    import pyarrow as pa

    from tablespec.loads import seed_transactions

    run.table.create(
        pa.schema([_arrow_field(c) for c in action.columns]),
        partition_by=action.partitioned_by,
        properties=dict(action.properties),
        description=action.description,
        constraints=dict(action.constraints),
        name=run.spec.name,
        commit_metadata=run.metadata,
        # the seed markers of `create` sources ride on the create commit (tablespec.loadplan)
        app_transactions=seed_transactions(run.spec),
    )


def _add_columns(run: Run, action: AddColumns) -> None:
    run.table.add_columns([_arrow_field(c) for c in action.columns], commit_metadata=run.metadata)


def _relax(run: Run, action: RelaxNullability) -> None:
    run.table.drop_not_null(action.column, commit_metadata=run.metadata)


def _set_properties(run: Run, action: SetProperties) -> None:
    """One commit for the whole metadata-phase property change: the plan's removals are folded
    in, so ``tablespec.managedProperties`` (which diff updates here) can never stop listing a key
    whose removal a crash left undone."""
    props = {key: new for key, _old, new in action.changes}
    for other in run.plan.actions:
        if isinstance(other, UnsetProperties):
            props.update(_resets(run, other))
            run.folded.add(id(other))
    run.table.set_properties(props, commit_metadata=run.metadata)


def _unset_properties(run: Run, action: UnsetProperties) -> None:
    if id(action) not in run.folded:
        run.table.set_properties(_resets(run, action), commit_metadata=run.metadata)


def _resets(run: Run, action: UnsetProperties) -> dict[str, str]:
    reset = {key: _default(key) for key, _old in action.removed}
    for key, value in reset.items():
        run.notes.append(f"property {key} set to {value!r}: delta-rs cannot remove a property"
                         + ("; Delta reads its default the same as unset" if key.startswith("delta.") else ""))
    return reset


def _default(key: str) -> str:
    if key in DELTA_DEFAULTS:
        return DELTA_DEFAULTS[key]
    if key.startswith("delta."):
        raise Refused(
            f"cannot remove table property {key}: delta-rs 1.6 cannot unset properties and {key} has no default tablespec knows",
            hint=f"keep {key} in the spec's properties (with the value you want)",
        )
    return ""


def _check_unset(run: Run, action: UnsetProperties) -> None:
    for key, _old in action.removed:
        _default(key)


def _check_add_columns(run: Run, action: AddColumns) -> None:
    required = [c.name for c in action.columns if not c.nullable]
    if required:
        raise Refused(
            f"cannot add NOT NULL column(s) {', '.join(required)} to table {run.spec.name}: existing rows have no value",
            hint="add the column as nullable first; making it NOT NULL later is a verified rewrite (--allow rewrite)",
        )


def _set_description(run: Run, action: SetDescription) -> None:
    run.table.set_description(action.new or "", commit_metadata=run.metadata)


def _set_comment(run: Run, action: SetColumnComment) -> None:
    run.table.set_column_comment(action.column, action.new, commit_metadata=run.metadata)


def _add_constraint(run: Run, action: AddConstraint) -> None:
    run.table.add_constraint(action.name, action.expression, commit_metadata=run.metadata)


def _drop_constraint(run: Run, action: DropConstraint) -> None:
    run.table.drop_constraint(action.name, commit_metadata=run.metadata)


def _load(run: Run, action: LoadSource) -> None:
    from tablespec.loads import execute_load

    def progress(event: Any) -> None:
        run.step(f"load {event.source}: file {event.file_index}/{event.file_count}, {event.rows:,} rows")

    source = next(s for s in run.spec.sources if s.name == action.source)
    run.loads.append(execute_load(run.table, run.spec, action, commit_metadata=run.metadata,
                                  progress=progress if run.progress else None,
                                  storage_options=run.config.storage_options(source.resolved)))


def _vacuum(run: Run, action: Vacuum) -> None:
    """Vacuum at the declared retention. The deleted-file retention property was set in the
    metadata phase, and table.vacuum never goes below the table's own property."""
    import datetime as dt

    result = run.table.vacuum(retention=dt.timedelta(seconds=action.retention_seconds), dry_run=False,
                              commit_metadata=run.metadata)
    run.notes.append(f"vacuum removed {len(result.files)} file(s), {result.bytes} bytes")


def _check_vacuum(run: Run, action: Vacuum) -> None:
    """Without --allow destructive, look again just before applying: time has passed since the
    plan, and a vacuum that would now break time travel is refused like a planned one."""
    if "destructive" in run.allow or not run.table.exists():
        return
    from tablespec.observe import observe_uri

    state = observe_uri(run.table.uri, storage_options=run.table.storage_options, name=run.spec.name,
                        retention=run.spec.retention)
    if state.vacuum is not None and state.vacuum.unsafe_files:
        unsafe = Vacuum(action.table, state.vacuum.retention_seconds, state.vacuum.files, state.vacuum.bytes,
                        state.vacuum.unsafe_files)
        raise Refused(f"vacuum of table {run.spec.name}: {unsafe.refused_reason}", hint="pass --allow destructive to vacuum anyway")


def _rewrite(run: Run, action: Action) -> None:
    from tablespec.rewrite import rewrite

    result = rewrite(run.table, action, commit_metadata=run.metadata)
    run.notes.append(f"{result.what}: rewrote {result.rows} row(s), verified")
    if isinstance(action, ChangeColumnType):
        _restate_constraints(run, action.column)


def _restate_constraints(run: Run, column: str) -> None:
    """Re-add, from the spec's text, each constraint that uses a column whose type changed.

    delta-rs stores a CHECK expression with its literals cast to the column's type at the time
    (``amount >= 0`` on decimal(18,2) is kept as ``amount >= '0'::decimal(18, 2)``); after a type
    change that stored form no longer matches what the spec's text gives for the new type, and
    the next plan would drop and re-add the constraint. Doing it now keeps apply convergent.
    """
    from tablespec.rewrite import mentions

    wanted = {name.lower(): (name, expression) for name, expression in run.spec.constraints}
    for live_name, expression in run.table.constraints.items():
        if live_name.lower() in wanted and mentions(expression, column):
            name, text = wanted[live_name.lower()]
            run.table.drop_constraint(live_name, commit_metadata=run.metadata)
            run.table.add_constraint(name, text, commit_metadata=run.metadata)
            run.notes.append(f"re-stated constraint {name} for the new type of {column}")


def _unsupported(run: Run, action: Unsupported) -> None:
    raise Refused(f"{action.what}: {action.reason}")


HANDLERS: dict[type[Action], Callable[[Run, Any], None]] = {
    CreateTable: _create,
    AddColumns: _add_columns,
    RelaxNullability: _relax,
    SetProperties: _set_properties,
    UnsetProperties: _unset_properties,
    SetDescription: _set_description,
    SetColumnComment: _set_comment,
    AddConstraint: _add_constraint,
    DropConstraint: _drop_constraint,
    LoadSource: _load,
    Vacuum: _vacuum,
    DropColumn: _rewrite,
    ChangeColumnType: _rewrite,
    TightenNullability: _rewrite,
    ChangePartitioning: _rewrite,
    Unsupported: _unsupported,
}
# Read-only checks run for the whole table before any of it is written.
PRECHECKS: dict[type[Action], Callable[[Run, Any], None]] = {
    UnsetProperties: _check_unset,
    AddColumns: _check_add_columns,
    Vacuum: _check_vacuum,
}
