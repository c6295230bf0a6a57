"""Run a plan: each table's actions in a fixed order, tables independently of each other.

The executor never prints and never decides exit codes (unlike pip-tools' sync, say): it
returns an :class:`ApplyReport` that the CLI renders and maps to a code.

Per table:

1. **Guards.** Actions of class ``rewrite`` or ``destructive`` need the matching ``allow``;
   ``unsupported`` ones are never done. Any refused action refuses the whole table: nothing of
   it is applied. Allowed rewrites are then *prechecked* read-only (no nulls before NOT NULL,
   every value survives a narrowing, ...) so a rewrite that cannot succeed also refuses the
   table before anything is written (:mod:`tablespec.applying.rewrite`).
2. **Drift.** If the table's version is not the one the plan observed, another writer got there
   first. A saved plan is then stale (refused); a fresh plan is re-planned for that table.
3. **Actions**, one handler per action type (:data:`tablespec.applying.handlers.HANDLERS`), in
   :func:`execution_order` — the very order the plan lists them in (``Action.order_key``).
   Every commit carries the commit metadata ``tablespec.version``, ``tablespec.plan_id`` and
   ``tablespec.spec_hash``.
4. **Conflicts.** When an action fails because another writer committed meanwhile (two applies at
   once), a fresh plan re-plans the table and carries on from where the log now stands; each
   action is declarative, so this converges. Other failures stop the table and are reported.

Tables run on a thread pool (deltalake releases the GIL in Rust); the report lists them sorted
by name whatever the order they finished in.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tablespec.applying import rewrite
from tablespec.applying.context import AfterAction, Progress, Run, settled
from tablespec.applying.handlers import HANDLERS, PRECHECKS
from tablespec.config import Config, redact
from tablespec.delta.table import DeltaTable
from tablespec.errors import (
    ConcurrentModification,
    DataError,
    Refused,
    SchemaMismatch,
    StalePlan,
    TableExists,
    TablespecError,
)
from tablespec.model.actions import (
    Action,
    ChangeColumnType,
    ChangePartitioning,
    DropColumn,
    RenameColumn,
    TightenNullability,
    Vacuum,
    sort_actions,
)
from tablespec.model.keys import PLAN_ID_KEY, SPEC_HASH_KEY, VERSION, VERSION_KEY
from tablespec.model.plan import Plan, TablePlan
from tablespec.model.report import ApplyReport, Refusal, Status, TableReport
from tablespec.model.spec import TableSpec
from tablespec.planning.planner import plan_table

__all__ = ["ALLOWABLE", "ApplyReport", "Progress", "Refusal", "TableReport", "apply_plan", "apply_table",
           "commit_metadata", "execution_order", "guard"]

ALLOWABLE = ("rewrite", "destructive")
# Re-plans after a concurrent writer got in the way, per table; each one starts from newer state.
MAX_REPLANS = 3


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
            refused.append(Refusal(action, action.refused_reason, f'pass allow=("{risk}",) to do it as a verified rewrite'
                                   if risk == "rewrite" or not _is_vacuum(action) else f'pass allow=("{risk}",) to vacuum anyway'))
    return tuple(refused)


def _is_vacuum(action: Action) -> bool:
    return isinstance(action, Vacuum)


def execution_order(actions: Sequence[Action]) -> tuple[Action, ...]:
    """The fixed order actions run in: :func:`tablespec.model.actions.sort_actions`, the same
    order ``diff`` gives the plan, so what a reviewer sees is what runs."""
    return sort_actions(actions)


def commit_metadata(plan_id: str, spec_hash: str) -> dict[str, str]:
    """What every commit apply makes carries (provenance, visible in ``tablespec history``)."""
    return {VERSION_KEY: VERSION, PLAN_ID_KEY: plan_id, SPEC_HASH_KEY: spec_hash}


# --- running ------------------------------------------------------------------------------------


def apply_plan(
    plan: Plan,
    specs: Sequence[TableSpec],
    *,
    config: Config,
    allow: Iterable[str] = (),
    saved: bool = False,
    workers: int = 4,
    progress: Progress | None = None,
    after_action: AfterAction | None = None,
) -> ApplyReport:
    """Apply every table of ``plan``; ``specs`` give the sources and the names (re-read, not from
    the plan). ``saved``: the plan came from a file, so drift is stale rather than re-planned.
    ``after_action(table, action)`` is called after each action is done (tests record the order
    or stop the process there)."""
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
        return apply_table(table_plan, spec, config=config, allow=allowed, plan_id=plan_id, saved=saved,
                           progress=progress, after_action=after_action)

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
    after_action: AfterAction | None = None,
) -> TableReport:
    """One table: guard, precheck, run; never raises for the table's own failures."""
    started = time.monotonic()
    table = DeltaTable(table_plan.uri, config.storage_options(table_plan.uri), name=spec.name)
    run = Run(spec, table_plan, table, commit_metadata(plan_id, table_plan.spec_hash), allow, config, progress,
              after_action=after_action)
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
    for action in run.plan.actions:
        if isinstance(action, (DropColumn, ChangeColumnType, TightenNullability, ChangePartitioning, RenameColumn)):
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
                if run.after_action is not None:
                    run.after_action(run.spec.name, action)
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
        exception=error,
    )
