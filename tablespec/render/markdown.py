"""The plan as GitHub-flavoured markdown, for a pull-request comment: the summary line, a table
with one row per table, then each changed table's actions in a collapsed ``<details>`` section
(a long plan stays readable; reviewers open what they care about). Refused actions are bold,
with their risk class and reason, and open by default."""

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
from tablespec.render.text import refusal, summary

Row = tuple[str, str]  # (marker, details in markdown)


def render(plan: Plan, *, title: str = "tablespec plan") -> str:
    parts = [f"### {title}", "", f"**{summary(plan)}**", ""]
    if plan.tables:
        parts += ["| Table | Change | Version | Actions | Refused |", "|---|---|---|---|---|"]
        parts += [_overview(t) for t in plan.tables]
    for table in plan.tables:
        if table.actions:
            parts += ["", *_details(table)]
    return "\n".join(parts) + "\n"


def _overview(t: TablePlan) -> str:
    change = "create" if t.creates else "change" if t.actions else "no changes"
    version = "—" if t.observed_version is None else str(t.observed_version)
    refused = f"**{len(t.refused)}**" if t.refused else "0"
    return f"| {_code(t.table)} | {change} | {version} | {len(t.actions)} | {refused} |"


def _details(t: TablePlan) -> list[str]:
    what = "create" if t.creates else "change" + ("" if t.observed_version is None else f" (version {t.observed_version})")
    counts = plural(len(t.actions), "action") + (f", {len(t.refused)} refused" if t.refused else "")
    lines = [
        f"<details{' open' if t.refused else ''}>",
        f"<summary><code>{_html(t.table)}</code>: {what}, {counts}</summary>",
        "",
        f"Location: {_code(t.uri)}",
        "",
        "| | Change | Class |",
        "|---|---|---|",
    ]
    for action in t.actions:  # one row per action, so the rows add up to the count above
        rows = HANDLERS[type(action)](action)
        marker, text = rows[0][0], "<br>".join(text for _, text in rows)
        risk: str = action.risk
        if action.refused_reason:
            text = f"**{text}**<br>{refusal(action)}: {_cell(action.refused_reason)}"
            risk = f"**{risk}**"
        lines.append(f"| `{marker}` | {text} | {risk} |")
    return lines + ["", "</details>"]


# --- escaping -------------------------------------------------------------------------------------


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    """Plain text safe inside a table cell: no pipes, no line breaks, no stray HTML."""
    return _html(text).replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    """Inline code inside a table cell (GitHub needs the pipe escaped even there)."""
    body = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in body else "`"
    return f"{fence}{body}{fence}" if fence == "`" else f"{fence} {body} {fence}"


# --- one handler per action type ------------------------------------------------------------------


def _column(c: ColumnDef) -> str:
    text = f"column {_code(c.name)} {_code(c.type)}" + ("" if c.nullable else " NOT NULL")
    text += f" generated as {_code(c.generated)}" if c.generated else ""
    return text + (f" — {_cell(c.comment)}" if c.comment else "")


def _create(a: CreateTable) -> list[Row]:
    rows: list[Row] = [("+", "create table")]
    rows += [("+", _column(c)) for c in a.columns]
    if a.partitioned_by:
        rows.append(("+", "partitioned by " + ", ".join(_code(p) for p in a.partitioned_by)))
    if a.description is not None:
        rows.append(("+", f"description {_cell(quote(a.description))}"))
    rows += [("+", f"property {_code(k)} = {_code(v)}") for k, v in sorted(a.properties)]
    rows += [("+", f"constraint {_code(n)} CHECK {_code(e)}") for n, e in a.constraints]
    return rows


def _add_columns(a: AddColumns) -> list[Row]:
    rows: list[Row] = [("+", _column(c)) for c in a.columns]
    if a.note:
        rows[-1] = (rows[-1][0], rows[-1][1] + f"<br>note: {_cell(a.note)}")
    return rows


def _set_properties(a: SetProperties) -> list[Row]:
    return [
        ("+", f"property {_code(k)} = {_code(new)}") if old is None
        else ("~", f"property {_code(k)}: {_code(old)} → {_code(new)}")
        for k, old, new in sorted(a.changes)
    ]


def _text_change(what: str, old: str | None, new: str | None) -> Row:
    if old is None:
        return ("+", f"{what} {_cell(quote(new))}")
    return ("~", f"{what}: {_cell(quote(old))} → {_cell(quote(new))}")


def _vacuum(a: Vacuum) -> list[Row]:
    text = (f"vacuum {plural(a.files, 'file')}, {human_bytes(a.bytes)} "
            f"(removed more than {human(a.retention_seconds)} ago)")
    if a.unsafe_files:
        text += f"; {a.unsafe_files} still inside the time-travel window"
    return [("!" if a.refused_reason else "-", text)]


def _optimize(a: Optimize) -> list[Row]:
    lines = [optimize_summary(a), *optimize_partitions(a)]
    return [("~", "<br>".join(_cell(line.replace(" -> ", " → ")) for line in lines))]


def _partitions(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(_code(c) for c in columns) + ")" if columns else "(none)"


HANDLERS: dict[type[Action], Callable[[Any], list[Row]]] = {
    CreateTable: _create,
    AddColumns: _add_columns,
    AddStructFields: lambda a: [("+", f"field {_code(name)} in column {_code(column)}") for column, _t, added in a.structs
                                for name in added],
    RelaxNullability: lambda a: [("~", f"column {_code(a.column)}: NOT NULL → nullable")],
    SetProperties: _set_properties,
    UnsetProperties: lambda a: [("-", f"property {_code(k)} = {_code(old)}") for k, old in sorted(a.removed)],
    SetDescription: lambda a: [_text_change("description", a.old, a.new)],
    SetColumnComment: lambda a: [_text_change(f"comment on column {_code(a.column)}", a.old, a.new)],
    AddConstraint: lambda a: [("!" if a.blocked else "+", f"constraint {_code(a.name)} CHECK {_code(a.expression)}")],
    DropConstraint: lambda a: [("-", f"constraint {_code(a.name)} CHECK {_code(a.expression)}")],
    LoadSource: lambda a: [("+", f"load {_code(a.source)} ({a.mode}): {_cell(load_summary(a))}")],
    Optimize: _optimize,
    Vacuum: _vacuum,
    RenameColumn: lambda a: [("!", f"rename column {_code(a.old)} → {_code(a.new)}")],
    CleanupLog: lambda a: [("!" if a.refused_reason else "-", _cell(cleanup_summary(a)))],
    Checkpoint: lambda a: [("+", _cell(checkpoint_summary(a)))],
    DropColumn: lambda a: [("!", f"drop column {_code(a.column)} {_code(a.type)}")],
    ChangeColumnType: lambda a: [("!", f"column {_code(a.column)}: {_code(a.old)} → {_code(a.new)} ({a.kind})")],
    TightenNullability: lambda a: [("!", f"column {_code(a.column)}: nullable → NOT NULL")],
    ChangePartitioning: lambda a: [("!", f"partitioning: {_partitions(a.old)} → {_partitions(a.new)}")],
    Unsupported: lambda a: [("!", _cell(a.what))],
}
