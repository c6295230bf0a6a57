"""Schema evolution rules of the diff (issue 18): renames, fields added inside structs, generated
columns, and what delta-rs 1.6 cannot do on a column-mapping table. Pure, no I/O.

* ``renamed_from``: a spec column whose name the table lacks, but whose ``renamed_from`` names a
  live column, is that column renamed: one :class:`RenameColumn`, never a drop plus an add. Once
  applied the old name is gone and ``renamed_from`` is a no-op.
* A struct column that only gains fields (at the end, at any depth, also inside arrays and maps)
  is one :class:`AddStructFields`: a schema-only commit. Reordering or removing fields is refused
  with the reason (Delta readers match struct fields by name, but delta-rs can only merge new
  fields into a struct, and removing one loses its data).
* Generated columns (``delta.generationExpression``): Delta fixes the expression when the column is
  created and forbids changing it; delta-rs refuses to add a generated column to an existing table.
* Column mapping (``delta.columnMapping.mode`` ``name``/``id``): delta-rs 1.6 refuses every schema
  change on such a table ("Column mapping is not supported for write operation 'ADD COLUMN'",
  "Schema evolution on column-mapped tables is not yet supported"), so those actions are planned
  as ``unsupported`` with that reason instead of failing at apply. Comments, nullability
  relaxation, properties, constraints and loads work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from tablespec.model import types as t
from tablespec.model.actions import (
    Action,
    AddColumns,
    AddStructFields,
    ChangeColumnType,
    ChangePartitioning,
    DropColumn,
    RenameColumn,
    SetProperties,
    TightenNullability,
    Unsupported,
)
from tablespec.model.keys import COLUMN_MAPPING_MODE
from tablespec.model.spec import ColumnSpec, TableSpec
from tablespec.model.state import ColumnState, TableState

# the actions delta-rs 1.6 cannot run on a column-mapping table, and the word for what each does
_SCHEMA_CHANGES: dict[type[Action], str] = {
    AddColumns: "add columns", AddStructFields: "add fields inside a struct column",
    DropColumn: "drop a column", ChangeColumnType: "change a column's type",
    TightenNullability: "make a column NOT NULL", ChangePartitioning: "change the partitioning",
}  # fmt: skip


def renamed(spec: TableSpec, state: TableState) -> dict[str, ColumnState]:
    """Spec column name (lower case) -> the live column it renames: the spec column's own name is
    not in the table, its ``renamed_from`` is, and no other spec column claims that name."""
    found: dict[str, ColumnState] = {}
    for column in spec.columns:
        if column.renamed_from is None or state.column(column.name) is not None:
            continue
        live = state.column(column.renamed_from)
        if live is not None and spec.column(live.name) is None:
            found[column.name.lower()] = live
    return found


def rename_action(spec: TableSpec, state: TableState, old: ColumnState, column: ColumnSpec) -> RenameColumn:
    mode = column_mapping(state)
    if mode:
        return RenameColumn(spec.name, old.name, column.name, how="unsupported", blocked=(
            f"table {spec.name} uses column mapping (mode {mode}): delta-rs 1.6 can neither commit a rename as a "
            "schema change nor rewrite a column-mapping table's schema"))
    return RenameColumn(spec.name, old.name, column.name)


def generated_change(spec: TableSpec, live: ColumnState | None, column: ColumnSpec) -> Action | None:
    """Refuse what Delta forbids: adding a generated column to an existing table, or changing,
    adding or removing the generation expression of an existing column."""
    if live is None:
        if column.generated is None:
            return None
        return Unsupported(spec.name, what=f"add generated column {column.name}", reason=(
            f"column {column.name!r}: a generated column can only be declared when the table is created "
            "(delta-rs refuses to add one to an existing table); add it as a plain column, or recreate the table"))
    if _same_sql(live.generated, column.generated):
        return None
    before = f"generation expression {live.generated!r}" if live.generated else "no generation expression"
    after = f"{column.generated!r}" if column.generated else "none"
    return Unsupported(spec.name, what=f"change generated column {column.name}", reason=(
        f"column {column.name!r} has {before} and the spec says {after}: Delta forbids changing a "
        "generation expression once the column exists; keep the table's, or recreate the table"))


def _same_sql(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    return " ".join(a.split()) == " ".join(b.split())


def struct_additions(old: str, new: str) -> tuple[str, ...]:
    """Dotted names (``address.zip``, ``items.element.qty``, ``attrs.value.b``) of the fields
    ``new`` adds inside a struct column when that is its only change; () otherwise."""
    try:
        added = _added(t.parse_type(old), t.parse_type(new))
    except t.TypeParseError:
        return ()
    return tuple(added or ())


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
        return _added(old.element, new.element, f"{prefix}element.")
    if isinstance(old, t.Map) and isinstance(new, t.Map) and old.key == new.key:
        return _added(old.value, new.value, f"{prefix}value.")
    return None


def struct_refusal(column: str, old: str, new: str) -> str | None:
    """Why a change to the fields of a struct column is refused (reordered or removed fields), or
    None when the change is something else."""
    try:
        return _struct_refusal(t.parse_type(old), t.parse_type(new), column)
    except t.TypeParseError:
        return None


def _struct_refusal(old: t.DataType, new: t.DataType, path: str) -> str | None:
    if isinstance(old, t.Array) and isinstance(new, t.Array):
        return _struct_refusal(old.element, new.element, f"{path}.element")
    if isinstance(old, t.Map) and isinstance(new, t.Map):
        return _struct_refusal(old.value, new.value, f"{path}.value")
    if not (isinstance(old, t.Struct) and isinstance(new, t.Struct)):
        return None
    before = [f.name.lower() for f in old.fields]
    after = [f.name.lower() for f in new.fields]
    removed = [f.name for f in old.fields if f.name.lower() not in after]
    if removed:
        return (f"the spec removes field(s) {', '.join(f'{path}.{n}' for n in removed)} of struct {path}: removing a "
                "struct field loses its data and delta-rs cannot do it in place; keep the field in the spec")
    kept = [n for n in after if n in before]
    if kept != before:
        return (f"the spec changes the order of the fields of struct {path} ({', '.join(before)} -> "
                f"{', '.join(kept)}): delta-rs cannot reorder struct fields; list them in the table's order "
                "(new fields go at the end)")
    for a in old.fields:
        b = next(f for f in new.fields if f.name.lower() == a.name.lower())
        inner = _struct_refusal(a.type, b.type, f"{path}.{a.name}")
        if inner:
            return inner
    return None


def column_mapping(state: TableState) -> str | None:
    """The table's column mapping mode when it uses column mapping (``name`` or ``id``)."""
    mode = state.properties_dict.get(COLUMN_MAPPING_MODE, "none")
    return None if mode.lower() == "none" else mode


def column_mapping_limits(spec: TableSpec, state: TableState, actions: Sequence[Action]) -> list[Action]:
    """On a column-mapping table, the schema changes delta-rs 1.6 cannot make become
    ``unsupported`` with the reason (a rename already says so itself); others pass through."""
    mode = column_mapping(state) if state.exists else None
    out: list[Action] = []
    for action in actions:
        what = _SCHEMA_CHANGES.get(type(action))
        if mode and what:
            out.append(Unsupported(spec.name, what=f"{what} ({_summary(action)})", reason=(
                f"table {spec.name} uses column mapping (mode {mode}): delta-rs 1.6 cannot {what} on a "
                "column-mapping table")))
        else:
            out.append(action)
        if isinstance(action, SetProperties) and any(k == COLUMN_MAPPING_MODE for k, _, _ in action.changes):
            # delta-rs refuses SET TBLPROPERTIES delta.columnMapping.mode on an existing table
            out.pop()
            rest = tuple(c for c in action.changes if c[0] != COLUMN_MAPPING_MODE)
            if rest:
                out.append(dataclasses.replace(action, changes=rest))
            _, old, new = next(c for c in action.changes if c[0] == COLUMN_MAPPING_MODE)
            out.append(Unsupported(spec.name, what=f"change column mapping mode {old or 'none'} -> {new}", reason=(
                "delta-rs 1.6 cannot change delta.columnMapping.mode of an existing table; only a new table "
                "can be created with column mapping")))
    return out


def _summary(action: Action) -> str:
    fields = {f.name: getattr(action, f.name) for f in dataclasses.fields(action) if f.name != "table"}
    if "column" in fields:
        return str(fields["column"])
    if "columns" in fields:
        return ", ".join(c.name for c in fields["columns"])
    if "structs" in fields:
        return ", ".join(c for c, _, _ in fields["structs"])
    return ", ".join(str(v) for v in fields.values() if v)
