"""Render an :class:`~tablespec.applying.executor.ApplyReport`: text for people, JSON for machines.

Its own dispatch table over action types (a test checks every type has an entry): :data:`DONE` says in one line what
an action did. Output is deterministic: tables sorted by name, actions in the order they ran.
The JSON has a ``format_version`` and carries each action in the plan's JSON form
(``tablespec.model.actions.to_json``), so a consumer can match it with the plan it approved.
"""

from __future__ import annotations

import dataclasses
import json
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
from tablespec.model.keys import VERSION
from tablespec.model.plan import to_json
from tablespec.model.report import ApplyReport, TableReport
from tablespec.render import text as plan_text
from tablespec.render.common import human_bytes, plural

FORMAT_VERSION = 1


def _cols(columns: Any) -> str:
    return ", ".join(c.name for c in columns)


DONE: dict[type[Action], Callable[[Any], str]] = {
    CreateTable: lambda a: f"+ created table ({plural(len(a.columns), 'column')}"
    + (f", partitioned by {', '.join(a.partitioned_by)}" if a.partitioned_by else "") + ")",
    AddColumns: lambda a: f"+ added column(s) {_cols(a.columns)}",
    AddStructFields: lambda a: "+ added field(s) " + ", ".join(n for _c, _t, added in a.structs for n in added),
    RelaxNullability: lambda a: f"~ made column {a.column} nullable",
    SetProperties: lambda a: "~ set properties " + ", ".join(k for k, _old, _new in a.changes),
    UnsetProperties: lambda a: "- unset properties " + ", ".join(k for k, _old in a.removed),
    SetDescription: lambda a: "~ set description",
    SetColumnComment: lambda a: f"~ set comment on column {a.column}",
    AddConstraint: lambda a: f"+ added constraint {a.name} ({a.expression})",
    DropConstraint: lambda a: f"- dropped constraint {a.name}",
    LoadSource: lambda a: f"+ loaded source {a.source} ({a.mode})",
    Optimize: lambda a: (f"~ {'z-ordered' if a.z_order else 'compacted'} {plural(len(a.partitions), 'partition')} "
                         f"(planned: {plural(a.files, 'file')}, {human_bytes(a.bytes)})"),
    CleanupLog: lambda a: f"- cleaned up the log (planned: {a.entries} entries, up to version {a.through_version})",
    Checkpoint: lambda a: "+ wrote a checkpoint",
    Vacuum: lambda a: f"- vacuumed (planned: {plural(a.files, 'file')}, {human_bytes(a.bytes)})",
    RenameColumn: lambda a: f"~ renamed column {a.old} -> {a.new} (verified rewrite)",
    DropColumn: lambda a: f"- dropped column {a.column} (verified rewrite)",
    ChangeColumnType: lambda a: f"~ changed column {a.column} {a.old} -> {a.new} (verified rewrite)",
    TightenNullability: lambda a: f"~ made column {a.column} NOT NULL (verified rewrite)",
    ChangePartitioning: lambda a: f"~ repartitioned by ({', '.join(a.new) or 'nothing'}) (verified rewrite)",
    Unsupported: lambda a: f"! {a.what}",
}


def _v(version: int | None) -> str:
    return "none" if version is None else str(version)


def load_line(outcome: Any) -> str:
    """The per-source summary line: files, rows read, inserted, updated, deleted, seconds."""
    text = (f"load {outcome.source}: {plural(outcome.files, 'file')}, {outcome.rows_read} rows read, "
            f"{outcome.inserted} inserted, {outcome.updated} updated, {outcome.deleted} deleted "
            f"in {outcome.seconds:.1f}s")
    skipped = getattr(outcome, "skipped", 0)
    orphans = getattr(outcome, "orphaned_files", 0)
    text += f" ({skipped} already loaded, skipped)" if skipped else ""
    if orphans:
        text += (f"; {plural(orphans, 'unreferenced data file')} written meanwhile by writes that lost a commit "
                 "race (the next vacuum removes them)")
    for name, on_fail, rows in getattr(outcome, "expectations", ()):
        text += f"; expectation {name}: {plural(rows, 'row')} {'dropped' if on_fail == 'drop' else 'failed, loaded (warn)'}"
    return text


def done_line(action: Action, loads: dict[str, Any]) -> str:
    """What an action did; a load this process found done by another writer says so."""
    if isinstance(action, LoadSource):
        outcome = loads.get(action.source)
        if outcome is not None and outcome.files == 0 and getattr(outcome, "skipped", 0):
            return f"= source {action.source} skipped: already loaded by another writer"
    return DONE[type(action)](action)


def _headline(t: TableReport) -> str:
    if t.status == "skipped":
        return f"{t.table}: no changes (version {_v(t.version_after)})"
    versions = f"version {_v(t.version_before)} -> {_v(t.version_after)}"
    if t.status == "applied":
        return f"{t.table}: applied in {t.seconds:.1f}s ({versions})"
    if t.status == "refused":
        if t.actions:  # refused on the way (e.g. a rewrite whose data changed since the checks)
            return f"{t.table}: refused after {plural(len(t.actions), 'action')} ({versions})"
        return f"{t.table}: refused, nothing applied"
    return f"{t.table}: FAILED after {t.seconds:.1f}s ({versions})"


def render_text(report: ApplyReport) -> str:
    lines: list[str] = []
    for t in report.tables:
        lines.append(_headline(t))
        loads = {o.source: o for o in t.loads}
        for action in t.actions:
            lines.append("  " + done_line(action, loads))
        for outcome in t.loads:
            lines.append("  " + load_line(outcome))
        for refusal in t.refused:  # the action as the plan showed it (column, partitioning, ...), then why
            lines.append(f"  ! {plan_text.HANDLERS[type(refusal.action)](refusal.action)[0][1]}: {refusal.reason}")
            if refusal.hint:
                lines.append(f"      {refusal.hint}")
        for note in t.notes:
            lines.append(f"  note: {note}")
        if t.error:
            first, *rest = t.error.splitlines()
            lines.append(f"  error: {first}")
            lines.extend(f"    {line}" for line in rest)
            if t.hint:
                lines.append(f"  hint: {t.hint}")
    applied, refused, failed, skipped = (report.count(s) for s in ("applied", "refused", "failed", "skipped"))
    lines.append("")
    lines.append(f"Apply {'complete' if report.ok else 'incomplete'}: {applied} applied, {refused} refused, "
                 f"{failed} failed, {skipped} unchanged in {report.seconds:.1f}s.")
    return "\n".join(lines)


def report_to_json(report: ApplyReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "plan_id": report.plan_id,
        "tablespec_version": report.tablespec_version,
        "seconds": round(report.seconds, 3),
        "ok": report.ok,
        "summary": {s: report.count(s) for s in ("applied", "refused", "failed", "skipped")},
        "tables": [_table_json(t) for t in report.tables],
    }


def _table_json(t: TableReport) -> dict[str, Any]:
    return {
        "table": t.table,
        "uri": t.uri,
        "status": t.status,
        "version_before": t.version_before,
        "version_after": t.version_after,
        "seconds": t.seconds,
        "actions": [to_json(a) for a in t.actions],
        "loads": [dataclasses.asdict(o) if dataclasses.is_dataclass(o) else dict(o) for o in t.loads],
        "refused": [{"action": to_json(r.action), "reason": r.reason, "hint": r.hint} for r in t.refused],
        "error": {"type": t.error_type, "message": t.error, "hint": t.hint} if t.error else None,
        "notes": list(t.notes),
    }


def render_json(report: ApplyReport) -> str:
    return json.dumps(report_to_json(report), indent=2, sort_keys=False)


def render_not_approved(plan: Any, message: str, hint: str) -> str:
    """The JSON report of an apply that stopped for approval: nothing was done, every table that
    would change is refused, and the reason says why (so ``--format json`` always prints JSON)."""
    tables = [{
        "table": t.table, "uri": t.uri, "status": "refused", "version_before": t.observed_version,
        "version_after": t.observed_version, "seconds": 0.0, "actions": [], "loads": [], "refused": [],
        "error": {"type": "ApprovalRequired", "message": message, "hint": hint}, "notes": [],
    } for t in sorted(plan.tables, key=lambda t: t.table) if t.actions] if plan is not None else []
    return json.dumps({
        "format_version": FORMAT_VERSION,
        "plan_id": getattr(plan, "plan_id", None),
        "tablespec_version": VERSION,
        "seconds": 0.0,
        "ok": False,
        "status": "refused",
        "reason": "approval required",
        "message": message,
        "hint": hint,
        "summary": {"applied": 0, "refused": len(tables), "failed": 0, "skipped": 0},
        "tables": tables,
    }, indent=2)
