"""What apply does for each action type: one handler per type (:data:`HANDLERS`), plus read-only
checks run for the whole table before any of it is written (:data:`PRECHECKS`).

Kept apart from :mod:`tablespec.applying.executor`, which decides order, guards, drift and reporting; a
test checks that every type in ``tablespec.model.actions.ACTION_TYPES`` has a handler here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tablespec.delta.arrow import arrow_field
from tablespec.errors import Refused
from tablespec.model.actions import (
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
    RelaxNullability,
    SetColumnComment,
    SetDescription,
    SetProperties,
    TightenNullability,
    UnsetProperties,
    Unsupported,
    Vacuum,
)

if TYPE_CHECKING:
    from tablespec.applying.context import Run

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
    return arrow_field(column.name, column.type, nullable=column.nullable, comment=column.comment)


def _create(run: Run, action: CreateTable) -> None:
    import pyarrow as pa

    from tablespec.loads.execute import seed_transactions

    run.table.create(
        pa.schema([_arrow_field(c) for c in action.columns]),
        partition_by=action.partitioned_by,
        properties=dict(action.properties),
        description=action.description,
        constraints=dict(action.constraints),
        name=run.spec.name,
        commit_metadata=run.metadata,
        # the seed markers of `create` sources ride on the create commit (tablespec.planning.exactly_once)
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
            hint="add the column as nullable first; making it NOT NULL later is a verified rewrite (allow=(\"rewrite\",))",
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
    from tablespec.loads.execute import execute_load

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
    """Without ``allow=("destructive",)``, look again just before applying: time has passed since the
    plan, and a vacuum that would now break time travel is refused like a planned one."""
    if "destructive" in run.allow or not run.table.exists():
        return
    from tablespec.planning.observe import observe_uri

    state = observe_uri(run.table.uri, storage_options=run.table.storage_options, name=run.spec.name,
                        retention=run.spec.retention)
    if state.vacuum is not None and state.vacuum.unsafe_files:
        unsafe = Vacuum(action.table, state.vacuum.retention_seconds, state.vacuum.files, state.vacuum.bytes,
                        state.vacuum.unsafe_files)
        raise Refused(f"vacuum of table {run.spec.name}: {unsafe.refused_reason}", hint='pass allow=("destructive",) to vacuum anyway')


def _rewrite(run: Run, action: Action) -> None:
    from tablespec.applying.rewrite import rewrite

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
    from tablespec.applying.rewrite import mentions

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
