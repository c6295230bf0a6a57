"""Rendered plans against golden files, plus the dispatch and round-trip guarantees.

Refresh the golden files after an intended change of output, then review the diff:

    TABLESPEC_UPDATE_GOLDEN=1 pytest tests/unit/test_render_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tablespec.model.actions import (
    ACTION_TYPES,
    AddColumns,
    AddConstraint,
    ChangeColumnType,
    ChangePartitioning,
    ColumnDef,
    CreateTable,
    DropColumn,
    DropConstraint,
    LoadSource,
    PendingFile,
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
from tablespec.model.plan import Plan, TablePlan, plan_from_json
from tablespec.model.state import SourceFile
from tablespec.render import human_bytes, markdown, render, text, use_color
from tablespec.render import json as json_renderer

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("TABLESPEC_UPDATE_GOLDEN") == "1"


def golden_plan() -> Plan:
    """One plan with every kind of action (and an unchanged table)."""
    orders, customers = "sales.orders", "sales.customers"
    f1 = SourceFile("/data/orders/2026-01-01.parquet", 2048, "a" * 64)
    f2 = SourceFile("/data/orders/2026-01-02.parquet", 4096, "b" * 64)
    f3 = SourceFile("/data/orders/2026-01-03.parquet", 1536, "c" * 64)
    c1 = SourceFile("s3://lake/in/customers.csv", 10_000_000, "etag:abc:10000000")
    create = TablePlan(orders, "/warehouse/sales/orders", None, "sha256:1111111111111111", (
        CreateTable(
            orders,
            columns=(ColumnDef("order_id", "long", False, "Primary key"), ColumnDef("amount", "decimal(18,2)"),
                     ColumnDef("dt", "date"), ColumnDef("tags", "array<string>")),
            partitioned_by=("dt",),
            properties=(("delta.enableChangeDataFeed", "true"),
                        ("tablespec.managedProperties", "delta.enableChangeDataFeed")),
            description="Orders placed in the web shop",
            constraints=(("amount_not_negative", "amount >= 0"),),
        ),
        LoadSource(orders, "daily", "append", (PendingFile(f1, "new", 1000), PendingFile(f2, "new", 2500))),
    ))
    # sort_actions: listed in the order apply runs them, as diff lists them in a real plan
    change = TablePlan(customers, "s3://lake/prod/sales/customers", 12, "sha256:2222222222222222", sort_actions((
        ChangePartitioning(customers, ("country",), ("country", "region")),
        DropColumn(customers, "legacy_id", "string"),
        ChangeColumnType(customers, "score", "integer", "long", "widening"),
        ChangeColumnType(customers, "balance", "decimal(12,2)", "decimal(10,2)", "narrowing"),
        ChangeColumnType(customers, "zip", "string", "integer", "incompatible"),
        Unsupported(customers, "add field(s) address.zip inside struct column address",
                    "delta-rs cannot add fields inside a struct column in place"),
        RelaxNullability(customers, "phone"),
        TightenNullability(customers, "email"),
        AddColumns(customers, (ColumnDef("segment", "string", True, "Marketing | segment"),
                               ColumnDef("since", "date")),
                   note="Delta adds columns at the end: segment will follow zip, not sit where the spec lists them"),
        SetProperties(customers, (("delta.logRetentionDuration", "interval 30 days", "interval 60 days"),
                                  ("owner", None, "crm"))),
        UnsetProperties(customers, (("delta.appendOnly", "true"),)),
        SetDescription(customers, "Customers", "Customers of the web shop"),
        SetColumnComment(customers, "email", None, "Lower-cased"),
        SetColumnComment(customers, "phone", "E.164", "E.164 <international>"),
        DropConstraint(customers, "score_range", "score BETWEEN 0 AND 10"),
        AddConstraint(customers, "score_range", "score BETWEEN 0 AND 100"),
        LoadSource(customers, "snapshot", "overwrite", (PendingFile(c1, "changed"),)),
        LoadSource(customers, "updates", "merge", (
            PendingFile(f1, "already loaded"), PendingFile(f2, "changed"), PendingFile(f3, "new"))),
        Vacuum(customers, 604800, 42, 123_456_789, 0),
    )))
    risky_vacuum = TablePlan("sales.events", "/warehouse/sales/events", 7, "sha256:3333333333333333", (
        Vacuum("sales.events", 86400, 3, 3000, 2),
    ))
    unchanged = TablePlan("sales.returns", "/warehouse/sales/returns", 4, "sha256:4444444444444444", ())
    tables = tuple(sorted((create, change, risky_vacuum, unchanged), key=lambda t: t.table))
    return Plan(tables=tables, tablespec_version="0.1.0", created_at="2026-01-31T12:00:00Z").with_id()


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with TABLESPEC_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; refresh with TABLESPEC_UPDATE_GOLDEN=1"


@pytest.mark.parametrize(("fmt", "name"), [("text", "plan.txt"), ("json", "plan.json"), ("markdown", "plan.md")])
def test_golden(fmt: str, name: str) -> None:
    check_golden(name, render(golden_plan(), fmt))


def test_the_golden_plan_lists_actions_in_the_order_apply_runs_them() -> None:
    from tablespec.applying.executor import execution_order

    for table_plan in golden_plan().tables:
        assert table_plan.actions == execution_order(table_plan.actions)


def test_the_golden_plan_has_every_action_type() -> None:
    used = {type(a) for t in golden_plan().tables for a in t.actions}
    assert used == set(ACTION_TYPES)


@pytest.mark.parametrize("module", [text, json_renderer, markdown], ids=["text", "json", "markdown"])
def test_every_action_type_has_a_handler_in_every_renderer(module: object) -> None:
    handlers = module.HANDLERS  # type: ignore[attr-defined]
    assert set(handlers) == set(ACTION_TYPES)


def test_json_round_trips_to_the_same_plan() -> None:
    plan = golden_plan()
    data = json.loads(render(plan, "json"))
    assert data["format_version"] == 1
    again = plan_from_json(data)
    assert again == plan and again.plan_id == plan.plan_id
    assert render(again, "json") == render(plan, "json")


def test_json_actions_carry_risk_reason_and_summary() -> None:
    data = json.loads(render(golden_plan(), "json"))
    customers = next(t for t in data["tables"] if t["table"] == "sales.customers")
    drop = next(a for a in customers["actions"] if a["action"] == "DropColumn")
    assert drop["risk"] == "destructive" and "loses its data" in drop["reason"]
    assert drop["summary"] == "drop column legacy_id string"
    assert data["summary"] == {"create": 1, "change": 2, "refused": 8}


def test_no_changes_summary() -> None:
    plan = Plan(tables=(TablePlan("a", "/w/a", 1, "h"), TablePlan("b", "/w/b", 2, "h")))
    assert render(plan, "text") == "No changes. 2 tables match their specs.\n"
    assert "No changes. 1 table matches its spec." in render(Plan(tables=(TablePlan("a", "/w/a", 1, "h"),)), "markdown")


def test_colour_only_when_asked_and_markers_keep_their_text() -> None:
    coloured = render(golden_plan(), "text", color=True)
    plain = render(golden_plan(), "text")
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert coloured.replace("\x1b[32m", "").replace("\x1b[33m", "").replace("\x1b[31m", "") \
        .replace("\x1b[1;31m", "").replace("\x1b[0m", "") == plain


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_use_color_needs_a_terminal_and_no_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(_Stream(True)) and not use_color(_Stream(False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(_Stream(True))


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1024, 1536, 10 * 1024**2, 3 * 1024**4)] == [
        "0 B", "1023 B", "1.0 KiB", "1.5 KiB", "10.0 MiB", "3.0 TiB"]


def test_output_is_deterministic_whatever_the_property_order() -> None:
    a = SetProperties("t", (("b", None, "2"), ("a", None, "1")))
    b = SetProperties("t", (("a", None, "1"), ("b", None, "2")))
    one = Plan(tables=(TablePlan("t", "/t", 1, "h", (a,)),))
    two = Plan(tables=(TablePlan("t", "/t", 1, "h", (b,)),))
    assert render(one, "text") == render(two, "text")
    assert render(one, "markdown") == render(two, "markdown")
