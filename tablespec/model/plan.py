"""The plan: per-table lists of actions, its id, and its JSON form (``format_version`` 1).

A :class:`Plan` is frozen data (two plans compare with ``==``); ``plan --out`` saves
:func:`plan_to_json` and ``apply --plan`` reads it back with :func:`plan_from_json` into an
equal plan. The plan id is a hash of the tables' JSON, so it changes with any action or order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tablespec.model.actions import ACTION_TYPES, FORMAT_VERSION, Action, ColumnDef, CreateTable, PendingFile
from tablespec.model.state import SourceFile


@dataclass(frozen=True)
class TablePlan:
    table: str
    uri: str
    observed_version: int | None  # None: the table did not exist when planned
    spec_hash: str
    actions: tuple[Action, ...] = ()

    @property
    def refused(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.risk in ("rewrite", "destructive", "unsupported"))

    @property
    def creates(self) -> bool:
        return any(isinstance(a, CreateTable) for a in self.actions)


@dataclass(frozen=True)
class Plan:
    tables: tuple[TablePlan, ...]
    tablespec_version: str = ""
    created_at: str = ""  # ISO 8601 UTC; not part of the plan id
    format_version: int = FORMAT_VERSION
    plan_id: str = field(default="", compare=False)

    @property
    def has_changes(self) -> bool:
        return any(t.actions for t in self.tables)

    def summary(self) -> tuple[int, int, int]:
        """(tables to create, tables to change, refused actions) — the text plan's last line."""
        create = sum(1 for t in self.tables if t.creates)
        change = sum(1 for t in self.tables if t.actions and not t.creates)
        refused = sum(len(t.refused) for t in self.tables)
        return create, change, refused

    def with_id(self) -> Plan:
        return dataclasses.replace(self, plan_id=compute_plan_id(self))


_BY_NAME = {t.__name__: t for t in ACTION_TYPES}


def compute_plan_id(plan: Plan) -> str:
    body = json.dumps([to_json(t) for t in plan.tables], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:12]


# --- JSON round trip (format_version 1) --------------------------------------------------------


def to_json(obj: Any) -> Any:
    """Plain JSON data for a plan, table plan or action; actions carry ``action`` (the type) and ``risk``."""
    if isinstance(obj, Action):
        data: dict[str, Any] = {"action": type(obj).__name__, "risk": obj.risk}
        for f in dataclasses.fields(obj):
            data[f.name] = to_json(getattr(obj, f.name))
        if obj.refused_reason:
            data["reason"] = obj.refused_reason
        return data
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_json(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple):
        return [to_json(v) for v in obj]
    return obj


def plan_to_json(plan: Plan) -> dict[str, Any]:
    data = to_json(plan)
    create, change, refused = plan.summary()
    data["summary"] = {"create": create, "change": change, "refused": refused}
    return data


def plan_from_json(data: dict[str, Any]) -> Plan:
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported plan format_version {version!r}; this tablespec reads {FORMAT_VERSION}")
    return Plan(
        tables=tuple(_table_from_json(t) for t in data["tables"]),
        tablespec_version=data.get("tablespec_version", ""),
        created_at=data.get("created_at", ""),
        format_version=version,
        plan_id=data.get("plan_id", ""),
    )


def _table_from_json(data: dict[str, Any]) -> TablePlan:
    return TablePlan(
        table=data["table"],
        uri=data["uri"],
        observed_version=data["observed_version"],
        spec_hash=data["spec_hash"],
        actions=tuple(action_from_json(a) for a in data["actions"]),
    )


def action_from_json(data: dict[str, Any]) -> Action:
    cls = _BY_NAME.get(data.get("action", ""))
    if cls is None:
        raise ValueError(f"unknown action {data.get('action')!r}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _field_from_json(f.name, data[f.name])
    return cls(**kwargs)


def _field_from_json(name: str, value: Any) -> Any:
    if name == "columns":
        return tuple(ColumnDef(**c) for c in value)
    if name == "files":
        if isinstance(value, int):
            return value
        return tuple(
            PendingFile(file=SourceFile(**f["file"]), reason=f["reason"], rows=f.get("rows")) for f in value
        )
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value
