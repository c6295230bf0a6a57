"""The plan as text, in terraform's style: one block per table, ``+`` to add, ``~`` to change,
``-`` to remove, ``!`` for a change apply refuses without ``--allow`` (or at all), then one
summary line. Colour only when the caller asks (``render.use_color``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tablespec.model.actions import (
    Action,
    AddColumns,
    AddConstraint,
    AddStructFields,
    ChangeColumnType,
    ChangePartitioning,
    Checkpoint,
    CleanupLog,
    ColumnDef,
    CreateTable,
    DropColumn,
    DropConstraint,
    LoadSource,
    Optimize,
    RelaxNullability,
    RenameColumn,
    SetColumnComment,
    SetDescription,
    SetProperties,
    TightenNullability,
    UnsetProperties,
    Unsupported,
    Vacuum,
)
from tablespec.model.durations import human
from tablespec.model.plan import Plan, TablePlan
from tablespec.render.common import (
    checkpoint_summary,
    cleanup_summary,
    human_bytes,
    load_summary,
    optimize_partitions,
    optimize_summary,
    plural,
    quote,
)

Line = tuple[str, str]  # (marker, text); marker " " continues the line above
_COLORS = {"+": "32", "~": "33", "-": "31", "!": "1;31"}


def render(plan: Plan, *, color: bool = False) -> str:
    blocks = [_block(t, color) for t in plan.tables if t.actions]
    return "\n\n".join([*blocks, summary(plan)]) + "\n"


def summary(plan: Plan) -> str:
    create, change, refused = plan.summary()
    if not plan.has_changes:
        n = len(plan.tables)
        return f"No changes. {plural(n, 'table')} {'matches its spec' if n == 1 else 'match their specs'}."
    return f"Plan: {create} to create, {change} to change, {refused} refused."


def _block(table: TablePlan, color: bool) -> str:
    if table.creates:
        head = ("+", f"table {table.table} will be created at {table.uri}")
    else:
        version = "" if table.observed_version is None else f" (version {table.observed_version})"
        head = ("~", f"table {table.table}{version} at {table.uri}")
    lines = [_paint(*head, color)]
    for action in table.actions:
        for marker, text in HANDLERS[type(action)](action):
            indent = "    " if marker == " " else "  "
            lines.append(indent + _paint(marker, text, color))
    return "\n".join(lines)


def _paint(marker: str, text: str, color: bool) -> str:
    line = f"{marker} {text}" if marker != " " else f"  {text}"
    if color and marker in _COLORS:
        return f"\x1b[{_COLORS[marker]}m{marker}\x1b[0m {text}"
    return line


# --- one handler per action type ------------------------------------------------------------------


def _column(c: ColumnDef) -> str:
    text = f"column {c.name} {c.type}" + ("" if c.nullable else " NOT NULL")
    text += f" GENERATED ALWAYS AS ({c.generated})" if c.generated else ""
    return text + (f"  # {c.comment}" if c.comment else "")


def _create(a: CreateTable) -> list[Line]:
    lines: list[Line] = [("+", _column(c)) for c in a.columns]
    if a.partitioned_by:
        lines.append(("+", f"partitioned by ({', '.join(a.partitioned_by)})"))
    if a.description is not None:
        lines.append(("+", f"description {quote(a.description)}"))
    lines += [("+", f"property {k} = {quote(v)}") for k, v in sorted(a.properties)]
    lines += [("+", f"constraint {name} CHECK ({expr})") for name, expr in a.constraints]
    return lines


def _add_columns(a: AddColumns) -> list[Line]:
    lines: list[Line] = [("+", _column(c)) for c in a.columns]
    return lines + ([(" ", f"note: {a.note}")] if a.note else [])


def _set_properties(a: SetProperties) -> list[Line]:
    return [
        ("+", f"property {k} = {quote(new)}") if old is None else ("~", f"property {k}: {quote(old)} -> {quote(new)}")
        for k, old, new in sorted(a.changes)
    ]


def _refused(a: Action, text: str) -> list[Line]:
    return [("!", f"{text} [{a.risk}]"), (" ", f"{refusal(a)}: {a.refused_reason}")]


def refusal(a: Action) -> str:
    """What it takes to do a refused action: nothing can, for unsupported ones."""
    return "refused" if a.risk == "unsupported" else f"refused unless --allow {a.risk}"


def _vacuum(a: Vacuum) -> list[Line]:
    text = (f"vacuum {plural(a.files, 'file')}, {human_bytes(a.bytes)} "
            f"(removed from the table more than {human(a.retention_seconds)} ago)")
    return _refused(a, text) if a.refused_reason else [("-", text)]


def _optimize(a: Optimize) -> list[Line]:
    return [("~", f"{optimize_summary(a)} [{a.risk}]"), *((" ", line) for line in optimize_partitions(a))]


def _cleanup(a: CleanupLog) -> list[Line]:
    return _refused(a, cleanup_summary(a)) if a.refused_reason else [("-", f"{cleanup_summary(a)} [{a.risk}]")]


def _partitions(columns: tuple[str, ...]) -> str:
    return f"({', '.join(columns)})" if columns else "(none)"


HANDLERS: dict[type[Action], Callable[[Any], list[Line]]] = {
    CreateTable: _create,
    AddColumns: _add_columns,
    AddStructFields: lambda a: [("+", f"field {name} in column {column}") for column, _t, added in a.structs
                                for name in added],
    RelaxNullability: lambda a: [("~", f"column {a.column}: NOT NULL -> nullable")],
    SetProperties: _set_properties,
    UnsetProperties: lambda a: [("-", f"property {k} = {quote(old)}") for k, old in sorted(a.removed)],
    SetDescription: lambda a: [("+" if a.old is None else "~",
                                f"description {quote(a.new)}" if a.old is None
                                else f"description: {quote(a.old)} -> {quote(a.new)}")],
    SetColumnComment: lambda a: [("+" if a.old is None else "~",
                                  f"comment on column {a.column}: {quote(a.new)}" if a.old is None
                                  else f"comment on column {a.column}: {quote(a.old)} -> {quote(a.new)}")],
    AddConstraint: lambda a: (_refused(a, f"constraint {a.name} CHECK ({a.expression})") if a.blocked
                              else [("+", f"constraint {a.name} CHECK ({a.expression})")]),
    DropConstraint: lambda a: [("-", f"constraint {a.name} CHECK ({a.expression})")],
    LoadSource: lambda a: [("+", f"load {a.source} ({a.mode}): {load_summary(a)}")],
    Optimize: _optimize,
    Vacuum: _vacuum,
    RenameColumn: lambda a: _refused(a, f"rename column {a.old} -> {a.new}"),
    CleanupLog: _cleanup,
    Checkpoint: lambda a: [("+", f"{checkpoint_summary(a)} [{a.risk}]")],
    DropColumn: lambda a: _refused(a, f"drop column {a.column} {a.type}"),
    ChangeColumnType: lambda a: _refused(a, f"column {a.column}: {a.old} -> {a.new} ({a.kind})"),
    TightenNullability: lambda a: _refused(a, f"column {a.column}: nullable -> NOT NULL"),
    ChangePartitioning: lambda a: _refused(a, f"partitioning: {_partitions(a.old)} -> {_partitions(a.new)}"),
    Unsupported: lambda a: _refused(a, a.what),
}
