"""``tablespec.apply``: plan (or load a saved plan), check it, get approval, run the executor.

The library entry point behind ``tablespec apply``. It returns an
:class:`~tablespec.model.report.ApplyReport` and raises only for whole-run problems: invalid specs
(``SpecInvalid``), a stale saved plan (``StalePlan``), no approval (``ApprovalRequired``).
Per-table failures and refusals are in the report, never raised, so one table's trouble does
not hide what happened to the others.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from tablespec.applying.context import AfterAction, settled
from tablespec.applying.executor import ApplyReport, Progress, apply_plan, guard
from tablespec.config import Config, load_config
from tablespec.delta.table import DeltaTable
from tablespec.errors import ApprovalRequired, StalePlan, TablespecError, UsageError
from tablespec.model.plan import Plan, plan_from_json
from tablespec.model.spec import TableSpec
from tablespec.planning.planner import plan as make_plan
from tablespec.specfiles.loader import load_specs, select_tables

SpecsOrPaths = Sequence[TableSpec] | Sequence[str | os.PathLike[str]] | str | os.PathLike[str] | None
Approve = Callable[[Plan], bool]


def apply(
    specs_or_paths: SpecsOrPaths = None,
    *,
    config: Config | None = None,
    tables: Iterable[str] = (),
    allow: Iterable[str] = (),
    plan: Plan | str | os.PathLike[str] | None = None,
    approve: Approve | None = None,
    workers: int = 4,
    progress: Progress | None = None,
    after_action: AfterAction | None = None,
) -> ApplyReport:
    """Make the tables match their specs (or carry out the saved ``plan``).

    ``specs_or_paths``: TableSpec objects, or spec files/folders (default ``specs/``).
    ``allow``: risk classes permitted as verified rewrites, ``"rewrite"`` and/or ``"destructive"``.
    ``plan``: a saved plan (a :class:`Plan` or the path of ``plan --out`` JSON); it is refused as
    stale if any of its tables moved or its spec changed since, and otherwise applied exactly.
    ``approve``: called with the plan when something would change; returning False stops before
    anything is written (``ApprovalRequired``). Library callers approve by calling.
    ``after_action(table, action)``: called after each action is done (tests use it to record
    the order actions ran in, or to stop the process at a known point).
    """
    config = config or load_config()
    tables = tuple(tables)
    specs = _specs(specs_or_paths, config, tables)
    saved = plan is not None
    if plan is None:
        the_plan = settled(lambda: make_plan(specs, config=config, tables=tables))
    else:
        the_plan = read_plan(plan) if not isinstance(plan, Plan) else plan
        the_plan = _select(the_plan, tables)
        check_fresh(the_plan, specs, config)
    if not the_plan.plan_id:
        the_plan = the_plan.with_id()
    if approve is not None and needs_approval(the_plan, allow) and not approve(the_plan):
        raise ApprovalRequired("apply was not approved; nothing was changed")
    return apply_plan(the_plan, specs, config=config, allow=allow, saved=saved, workers=workers, progress=progress,
                      after_action=after_action)


def needs_approval(plan: Plan, allow: Iterable[str] = ()) -> bool:
    """Whether any table has actions that the guards would let through (else nothing to approve)."""
    allowed = tuple(allow)
    return any(t.actions and not guard(t, allowed) for t in plan.tables)


def read_plan(path: str | os.PathLike[str]) -> Plan:
    """A plan saved by ``tablespec plan --out FILE``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"cannot read plan file {path}: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise UsageError(f"plan file {path} is not JSON: {e}", hint="write it with `tablespec plan --out FILE`") from e
    try:
        return plan_from_json(data)
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(f"plan file {path} is not a tablespec plan: {e}") from e


def check_fresh(plan: Plan, specs: Sequence[TableSpec], config: Config) -> None:
    """Raise StalePlan for the first table (by name) whose spec or live version moved since the plan.

    Compared per table: the spec still exists with the same hash and location, and the table's
    version is the one observed (absent then, absent now).
    """
    by_name = {s.name: s for s in specs}
    for table_plan in sorted(plan.tables, key=lambda t: t.table):
        spec = by_name.get(table_plan.table)
        table = DeltaTable(table_plan.uri, config.storage_options(table_plan.uri), name=table_plan.table)
        found = table.version if table.exists() else None
        planned = table_plan.observed_version
        if spec is None:
            raise StalePlan(table_plan.table, planned, found, "its spec is no longer in the specs")
        if spec.spec_hash != table_plan.spec_hash:
            raise StalePlan(table_plan.table, planned, found,
                            f"its spec changed since the plan (spec hash {table_plan.spec_hash} -> {spec.spec_hash})")
        if spec.uri.rstrip("/") != table_plan.uri.rstrip("/"):
            raise StalePlan(table_plan.table, planned, found,
                            f"its location changed since the plan ({table_plan.uri} -> {spec.uri})")
        if found != planned:
            raise StalePlan(table_plan.table, planned, found, "the table changed since the plan")


def _select(plan: Plan, tables: tuple[str, ...]) -> Plan:
    if not tables:
        return plan
    names = {t.table for t in plan.tables}
    unknown = [t for t in tables if t not in names]
    if unknown:
        raise UsageError(f"the saved plan has no table {', '.join(unknown)}", hint=f"it has: {', '.join(sorted(names))}")
    return dataclasses.replace(plan, tables=tuple(t for t in plan.tables if t.table in tables))


def _specs(specs_or_paths: Any, config: Config, tables: tuple[str, ...]) -> tuple[TableSpec, ...]:
    """None: the project's specs/; an empty list: no tables at all (not the default folder)."""
    if specs_or_paths is None:
        return load_specs(None, config=config, tables=tables)
    if isinstance(specs_or_paths, (str, os.PathLike)):
        return load_specs([Path(specs_or_paths)], config=config, tables=tables)
    items = list(specs_or_paths)
    if not items:
        return select_tables((), tables)
    if all(isinstance(s, TableSpec) for s in items):
        return select_tables(sorted(items, key=lambda s: s.name), tables)
    if any(isinstance(s, TableSpec) for s in items):
        raise TablespecError("pass either TableSpec objects or spec paths, not both")
    return load_specs(items, config=config, tables=tables)
