"""``diff(spec, state)``: what must change for a live table to match its spec. Pure, no I/O.

The output is a phase-sorted tuple of :mod:`tablespec.model.actions` values, so two diffs compare with
``==`` and tests need only two in-memory inputs and one expected tuple.

Rules worth knowing (docs/plan.md says the same for users):

* Column names compare case-insensitively and types by their canonical spelling, as in Delta.
* Changes delta-rs cannot make in place are never skipped: they appear as refused actions
  (``DropColumn``, ``ChangeColumnType``, ``TightenNullability``, ``ChangePartitioning``,
  ``Unsupported``) whose risk class the executor checks.
* Properties: only keys tablespec owns are compared (docs/plan.md "Properties tablespec
  owns"); other writers' keys, ``delta.checkpoint*`` and protocol keys are never removed.
* An omitted ``description`` or column ``comment`` leaves the table's as it is (not managed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from tablespec.model import types as t
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
    RelaxNullability,
    SetColumnComment,
    SetDescription,
    SetProperties,
    TightenNullability,
    UnsetProperties,
    Unsupported,
    Vacuum,
    sort_actions,
)
from tablespec.model.durations import parse_duration
from tablespec.model.keys import CONSTRAINT_PREFIX, MANAGED_KEY
from tablespec.model.plan import TablePlan
from tablespec.model.spec import TableSpec
from tablespec.model.state import ColumnState, SourceFile, TableState, absent
from tablespec.planning.exactly_once import plan_load

# Never proposed for removal, even when listed as managed: Delta's own bookkeeping.
PROTECTED_PREFIXES = ("delta.checkpoint", "delta.minReaderVersion", "delta.minWriterVersion", "delta.feature.",
                      CONSTRAINT_PREFIX)
TypeChange = Literal["widening", "narrowing", "incompatible"]


def diff(
    spec: TableSpec,
    state: TableState,
    source_files: Mapping[str, tuple[SourceFile, ...]] = {},
) -> tuple[Action, ...]:
    """The actions that make ``state`` match ``spec``, in the fixed phase order."""
    if not state.exists:
        actions: list[Action] = [create_table(spec)]
    else:
        actions = [
            *_partitioning(spec, state),
            *_columns(spec, state),
            *_properties(spec, state),
            *_descriptions(spec, state),
            *_constraints(spec, state),
        ]
        if spec.retention.vacuum and state.vacuum is not None and state.vacuum.files > 0:
            preview = state.vacuum
            actions.append(Vacuum(spec.name, preview.retention_seconds, preview.files, preview.bytes,
                                  preview.unsafe_files))
    versions = state.app_transactions_dict
    for source in spec.sources:
        load = plan_load(spec.name, source, source_files.get(source.name, ()), versions, table_exists=state.exists)
        if load is not None:
            actions.append(load)
    return sort_actions(actions)


def create_table(spec: TableSpec) -> CreateTable:
    return CreateTable(
        table=spec.name,
        columns=tuple(ColumnDef(c.name, c.type, c.nullable, c.comment) for c in spec.columns),
        partitioned_by=spec.partitioned_by,
        properties=tuple(desired_properties(spec).items()),
        description=spec.description,
        constraints=spec.constraints,
    )


def state_from_spec(spec: TableSpec) -> TableState:
    """The state a table would have right after tablespec applied ``spec`` (for spec-vs-spec
    diffs, where the old spec stands in for the live table). No loads, no vacuum preview."""
    return TableState(
        uri=spec.uri,
        exists=True,
        name=spec.name,
        description=spec.description,
        columns=tuple(ColumnState(c.name, c.type, c.nullable, c.comment) for c in spec.columns),
        partitioned_by=spec.partitioned_by,
        properties=tuple(sorted(desired_properties(spec).items())),
        constraints=tuple(sorted(spec.constraints)),
    )


def diff_specs(old: Iterable[TableSpec], new: Iterable[TableSpec]) -> tuple[TablePlan, ...]:
    """What changing the specs from ``old`` to ``new`` would do, with ``old`` standing in for the
    live tables (``tablespec diff``): the same actions and classes as a plan, but no loads and no
    vacuum, and no storage. A table only in ``new`` is created; a table only in ``old`` is left
    out, since tablespec never drops tables; so is the old table of a spec whose location moved
    (the new location gets a new table)."""
    before = {spec.name: spec for spec in old}
    plans = []
    for spec in sorted(new, key=lambda s: s.name):
        previous = before.get(spec.name)
        if previous is None or previous.uri.rstrip("/") != spec.uri.rstrip("/"):
            state = absent(spec.uri)  # new, or moved: the new location gets a new table
        else:
            state = state_from_spec(previous)
        plans.append(TablePlan(spec.name, spec.uri, None, spec.spec_hash, diff(spec, state)))
    return tuple(plans)


# --- properties ---------------------------------------------------------------------------------


def desired_properties(spec: TableSpec) -> dict[str, str]:
    """The spec's properties plus those ``retention:`` implies, plus ``tablespec.managedProperties``
    (the sorted, comma-separated keys) when there is any, so a key later dropped from the spec is
    known to be tablespec's to remove."""
    managed = spec.managed_properties()
    if managed:
        managed[MANAGED_KEY] = encode_managed(managed)
    return dict(sorted(managed.items()))


def encode_managed(keys: Mapping[str, str] | list[str]) -> str:
    return ",".join(sorted(k for k in keys if k != MANAGED_KEY))


def decode_managed(value: str | None) -> set[str]:
    return {k.strip() for k in (value or "").split(",") if k.strip()}


def same_value(key: str, old: str, new: str) -> bool:
    """Equal as Delta means them: durations by length ("interval 1 weeks" == "interval 7 days",
    delta-rs and Spark spell intervals differently) and booleans regardless of case."""
    if old == new:
        return True
    if key.endswith("Duration") or old.lower().startswith("interval") or new.lower().startswith("interval"):
        try:
            return parse_duration(old) == parse_duration(new)
        except ValueError:
            return False
    return old.lower() in ("true", "false") and old.lower() == new.lower()


def is_protected(key: str) -> bool:
    return key.startswith(PROTECTED_PREFIXES)


def _properties(spec: TableSpec, state: TableState) -> list[Action]:
    current = state.properties_dict
    desired = desired_properties(spec)
    owned = decode_managed(current.get(MANAGED_KEY)) | ({MANAGED_KEY} if current.get(MANAGED_KEY) else set())
    changes = tuple(
        (key, current.get(key), value)
        for key, value in desired.items()
        if key not in current or not same_value(key, current[key], value)
    )
    removed = tuple(
        (key, current[key])
        for key in sorted(owned - set(desired))
        if key in current and current[key] != "" and not is_protected(key)
    )
    if MANAGED_KEY not in current and all(key == MANAGED_KEY for key, _, _ in changes):
        # An adopted table (``tablespec import``) whose declared properties all match already:
        # the bookkeeping key alone is no change to show (the import promise: planning an imported spec
        # shows no changes); it is written with the next real property change.
        changes = ()
    actions: list[Action] = []
    if changes:
        actions.append(SetProperties(spec.name, changes))
    if removed:
        actions.append(UnsetProperties(spec.name, removed))
    return actions


# --- columns ------------------------------------------------------------------------------------


def _partitioning(spec: TableSpec, state: TableState) -> list[Action]:
    if [p.lower() for p in spec.partitioned_by] != [p.lower() for p in state.partitioned_by]:
        return [ChangePartitioning(spec.name, state.partitioned_by, spec.partitioned_by)]
    return []


def _columns(spec: TableSpec, state: TableState) -> list[Action]:
    actions: list[Action] = []
    for existing in state.columns:
        if spec.column(existing.name) is None:
            actions.append(DropColumn(spec.name, existing.name, existing.type))
    new: list[ColumnDef] = []
    required: list[str] = []
    for column in spec.columns:
        live = state.column(column.name)
        if live is None:
            # Existing rows have no value for a new column: it is added nullable, and NOT NULL
            # follows as a (refused unless allowed) verified rewrite.
            new.append(ColumnDef(column.name, column.type, True, column.comment))
            if not column.nullable:
                required.append(column.name)
            continue
        if live.type.lower() != column.type.lower():  # nested field names are case-insensitive too
            actions.append(_type_change(spec.name, live.name, live.type, column.type))
        if live.nullable and not column.nullable:
            actions.append(TightenNullability(spec.name, live.name))
        elif not live.nullable and column.nullable:
            actions.append(RelaxNullability(spec.name, live.name))
    if new:
        actions.append(AddColumns(spec.name, tuple(new), _position_note(spec, state, new)))
    actions.extend(TightenNullability(spec.name, name) for name in required)
    return actions


def _position_note(spec: TableSpec, state: TableState, new: list[ColumnDef]) -> str:
    """Delta appends new columns at the end of the schema. The spec's order is kept when every
    new column already comes after every existing one; otherwise say where they will land."""
    names = [c.name for c in spec.columns]
    last_existing = max((i for i, c in enumerate(spec.columns) if state.column(c.name) is not None), default=-1)
    misplaced = [c.name for c in new if names.index(c.name) < last_existing]
    if not misplaced:
        return ""
    after = state.columns[-1].name if state.columns else ""
    return (f"Delta adds columns at the end: {', '.join(misplaced)} will follow {after}, "
            "not sit where the spec lists them")


def _type_change(table: str, column: str, old: str, new: str) -> Action:
    nested = nested_additions(old, new)
    if nested:
        return Unsupported(
            table,
            what=f"add field(s) {', '.join(f'{column}.{n}' for n in nested)} inside struct column {column}",
            reason="delta-rs cannot add fields inside a struct column in place; add a new top-level column instead",
        )
    return ChangeColumnType(table, column, old, new, classify_type_change(old, new))


# Delta type widening (the typeWidening table feature), as (from, to) pairs of primitive names.
_INTEGRAL = ("byte", "short", "integer", "long")
WIDENING: frozenset[tuple[str, str]] = frozenset(
    {(a, b) for i, a in enumerate(_INTEGRAL) for b in _INTEGRAL[i + 1:]}
    | {(a, "double") for a in ("byte", "short", "integer")}
    | {("float", "double"), ("date", "timestamp_ntz")}
)
_NUMERIC = (*_INTEGRAL, "float", "double")


def classify_type_change(old: str, new: str) -> TypeChange:
    """How ``old`` -> ``new`` relates: ``widening`` when every old value fits the new type
    (byte < short < integer < long; byte/short/integer -> double; float < double; date ->
    timestamp_ntz; decimal(p,s) -> decimal(p+k, s+j) with k >= j >= 0, and element-wise inside
    arrays and maps), ``narrowing`` for a numeric change that can lose values (the reverse of a
    widening, or any other numeric -> numeric change), else ``incompatible``."""
    try:
        return _classify(t.parse_type(old), t.parse_type(new))
    except t.TypeParseError:
        return "incompatible"  # a type tablespec cannot name (variant, ...) never converts


def _classify(old: t.DataType, new: t.DataType) -> TypeChange:
    if old == new:
        return "widening"  # no change; only reached inside containers
    if isinstance(old, t.Array) and isinstance(new, t.Array):
        return _classify(old.element, new.element)
    if isinstance(old, t.Map) and isinstance(new, t.Map):
        return _worst(_classify(old.key, new.key), _classify(old.value, new.value))
    if isinstance(old, t.Struct) and isinstance(new, t.Struct):
        if [f.name.lower() for f in old.fields] != [f.name.lower() for f in new.fields]:
            return "incompatible"
        kinds = [_classify(a.type, b.type) for a, b in zip(old.fields, new.fields)]
        return _worst(*kinds) if kinds else "incompatible"
    if _widens(old, new):
        return "widening"
    if _is_numeric(old) and _is_numeric(new) or _widens(new, old):
        return "narrowing"
    return "incompatible"


def _widens(old: t.DataType, new: t.DataType) -> bool:
    if isinstance(old, t.Decimal) and isinstance(new, t.Decimal):
        grow, scale = new.precision - old.precision, new.scale - old.scale
        return grow >= scale >= 0 and (grow, scale) != (0, 0)
    if isinstance(old, t.Primitive) and isinstance(new, t.Decimal) and old.name in _INTEGRAL:
        digits = {"byte": 3, "short": 5, "integer": 10, "long": 20}[old.name]
        return new.precision - new.scale >= digits
    if isinstance(old, t.Primitive) and isinstance(new, t.Primitive):
        return (old.name, new.name) in WIDENING
    return False


def _is_numeric(x: t.DataType) -> bool:
    return isinstance(x, t.Decimal) or isinstance(x, t.Primitive) and x.name in _NUMERIC


def _worst(*kinds: TypeChange) -> TypeChange:
    order: tuple[TypeChange, ...] = ("widening", "narrowing", "incompatible")
    return max(kinds, key=order.index)


def nested_additions(old: str, new: str) -> tuple[str, ...]:
    """Dotted names of the fields ``new`` adds inside a struct column when that is its only
    change (every old field kept, same name, type and order; new fields at the end)."""
    try:
        a, b = t.parse_type(old), t.parse_type(new)
    except t.TypeParseError:
        return ()
    added = _added(a, b)
    return tuple(added) if added else ()


def _added(old: t.DataType, new: t.DataType, prefix: str = "") -> list[str] | None:
    """Fields added under ``prefix``; None when anything else differs."""
    if old == new:
        return []
    if isinstance(old, t.Struct) and isinstance(new, t.Struct):
        if len(new.fields) < len(old.fields):
            return None
        found: list[str] = []
        for a, b in zip(old.fields, new.fields):
            if a.name.lower() != b.name.lower():
                return None
            inner = _added(a.type, b.type, f"{prefix}{b.name}.")
            if inner is None:
                return None
            found += inner
        return found + [f"{prefix}{f.name}" for f in new.fields[len(old.fields):]]
    if isinstance(old, t.Array) and isinstance(new, t.Array):
        return _added(old.element, new.element, prefix)
    if isinstance(old, t.Map) and isinstance(new, t.Map) and old.key == new.key:
        return _added(old.value, new.value, prefix)
    return None


# --- description, comments, constraints -----------------------------------------------------------


def _descriptions(spec: TableSpec, state: TableState) -> list[Action]:
    actions: list[Action] = []
    if spec.description is not None and spec.description != (state.description or None):
        actions.append(SetDescription(spec.name, state.description, spec.description))
    for column in spec.columns:
        live = state.column(column.name)
        if live is not None and column.comment is not None and column.comment != live.comment:
            actions.append(SetColumnComment(spec.name, live.name, live.comment, column.comment))
    return actions


def _constraints(spec: TableSpec, state: TableState) -> list[Action]:
    """Drops first (a changed expression is a drop plus an add of the same name), then adds in
    spec order. Names compare case-insensitively, expressions with whitespace collapsed."""
    live = {name.lower(): (name, expr) for name, expr in state.constraints}
    wanted = {name.lower(): (name, expr) for name, expr in spec.constraints}
    forms = dict(state.constraint_forms)
    drops: list[Action] = []
    adds: list[Action] = []
    for key, (name, expr) in sorted(live.items()):
        if key not in wanted or not _same_expression(expr, wanted[key][1], forms):
            drops.append(DropConstraint(spec.name, name, expr))
    for key, (name, expr) in wanted.items():
        if key not in live or not _same_expression(live[key][1], expr, forms):
            adds.append(AddConstraint(spec.name, name, expr))
    return drops + adds


def _same_expression(stored: str, wanted: str, forms: Mapping[str, str]) -> bool:
    """Same text (whitespace aside), or the text deltalake stores for the wanted expression."""
    if " ".join(stored.split()) == " ".join(wanted.split()):
        return True
    return wanted in forms and " ".join(forms[wanted].split()) == " ".join(stored.split())
