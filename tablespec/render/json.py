"""The plan as JSON (``format_version`` 1, documented in docs/plan.md).

The body is :func:`tablespec.model.actions.plan_to_json`, so ``plan_from_json`` reads it back into an
equal :class:`~tablespec.model.plan.Plan` (this is also what ``plan --out`` saves and ``apply --plan``
reads). On top, every action gets a one-line ``summary`` for tools that only show text (CI bots,
chat notifications); readers of the plan ignore it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tablespec.model.actions import (
    Action,
    AddColumns,
    AddConstraint,
    ChangeColumnType,
    ChangePartitioning,
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
from tablespec.model.plan import Plan, plan_to_json
from tablespec.render.common import human_bytes, load_summary, plural


def render(plan: Plan) -> str:
    return json.dumps(to_data(plan), indent=2, ensure_ascii=False) + "\n"


def to_data(plan: Plan) -> dict[str, Any]:
    data = plan_to_json(plan)
    for table, table_data in zip(plan.tables, data["tables"]):
        for action, action_data in zip(table.actions, table_data["actions"]):
            action_data["summary"] = HANDLERS[type(action)](action)
    # the envelope first, so a reader sees what it holds before the tables
    first = ("format_version", "plan_id", "tablespec_version", "created_at", "summary")
    return {**{key: data[key] for key in first}, **{k: v for k, v in data.items() if k not in first}}


def _keys(pairs: Any) -> str:
    return ", ".join(sorted(p[0] for p in pairs))


HANDLERS: dict[type[Action], Callable[[Any], str]] = {
    CreateTable: lambda a: f"create table with {plural(len(a.columns), 'column')}"
    + (f", partitioned by {', '.join(a.partitioned_by)}" if a.partitioned_by else ""),
    AddColumns: lambda a: "add column(s) " + ", ".join(f"{c.name} {c.type}" for c in a.columns),
    RelaxNullability: lambda a: f"make column {a.column} nullable",
    SetProperties: lambda a: f"set properties {_keys(a.changes)}",
    UnsetProperties: lambda a: f"unset properties {_keys(a.removed)}",
    SetDescription: lambda a: "set the table description",
    SetColumnComment: lambda a: f"set the comment on column {a.column}",
    AddConstraint: lambda a: f"add constraint {a.name} CHECK ({a.expression})",
    DropConstraint: lambda a: f"drop constraint {a.name}",
    LoadSource: lambda a: f"load {a.source} ({a.mode}): {load_summary(a)}",
    Vacuum: lambda a: f"vacuum {plural(a.files, 'file')}, {human_bytes(a.bytes)}"
    + (f" ({a.unsafe_files} still inside the time-travel window)" if a.unsafe_files else ""),
    DropColumn: lambda a: f"drop column {a.column} {a.type}",
    ChangeColumnType: lambda a: f"change column {a.column} from {a.old} to {a.new} ({a.kind})",
    TightenNullability: lambda a: f"make column {a.column} NOT NULL",
    ChangePartitioning: lambda a: f"repartition from ({', '.join(a.old)}) to ({', '.join(a.new)})",
    Unsupported: lambda a: a.what,
}
