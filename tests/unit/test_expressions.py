"""Issues 15.1 and 24.2: CHECK constraints and generation expressions checked at validate, against
the spec's columns and types, with sqlglot (no storage)."""

from __future__ import annotations

import pytest

from tablespec.model.types import parse_type
from tablespec.specfiles.expressions import check_constraint, check_generated

COLUMNS = {n: parse_type(t) for n, t in {
    "id": "long", "qty": "int", "amount": "decimal(5,2)", "discount": "decimal(5,2)", "dt": "date",
    "ts": "timestamp", "customer": "string", "ok": "boolean", "day": "date", "yr": "int",
}.items()}
NULLABLE = {n: n not in ("id", "discount") for n in COLUMNS}


def errors(text: str) -> list[str]:
    return [f.message for f in check_constraint("c", text, COLUMNS, NULLABLE) if not f.warning]


def warnings(text: str) -> list[str]:
    return [f.message for f in check_constraint("c", text, COLUMNS, NULLABLE) if f.warning]


@pytest.mark.parametrize("text", [
    "id > 0", "discount < 500", "discount >= -999.99", "discount IN (0, 10.5)", "id BETWEEN 1 AND 10",
    "customer NOT LIKE 'test%' OR customer IS NULL", "dt IS NULL OR dt >= DATE '2000-01-01'",
    "amount IS NULL OR amount >= 0", "coalesce(amount, 0) >= 0", "qty < 2147483647", "ok IS NULL OR ok = true",
    "`id` > 0", "length(customer) < 10 OR customer IS NULL",
])
def test_good_constraints_have_no_errors(text: str) -> None:
    assert errors(text) == []


@pytest.mark.parametrize(("text", "needle"), [
    ("customer NOT LIKE 'test%' AND", "not valid SQL"),
    ("id >> ' ", "not valid SQL"),
    ("costumer = 'x'", "'costumer', which is not a column"),
    ("discount < 5000", "does not fit decimal(5,2)"),
    ("discount < 1.005", "more than 2 decimal place"),
    ("qty < 2147483648", "out of range for integer"),
    ("id = 1.5", "not a whole number"),
    ("id > 'x'", "is a string, not a number"),
    ("dt > DATE '2026-02-30'", "is not a date"),
    ("dt > 20260101", "a number, not a date"),
    ("customer = 5", "the column is text"),
    ("discount IN (1, 50000)", "does not fit"),
])
def test_bad_constraints_are_named(text: str, needle: str) -> None:
    found = errors(text)
    assert any(needle in m for m in found), found
    assert all(m.startswith("constraint 'c'") for m in found)


def test_a_nullable_column_without_a_null_test_warns() -> None:
    assert warnings("amount >= 0") and "nullable column 'amount'" in warnings("amount >= 0")[0]
    assert warnings("id > 0") == []  # NOT NULL
    assert warnings("amount IS NULL OR amount >= 0") == []
    assert warnings("nvl(amount, 0) >= 0") == []


def generated(column: str, text: str) -> list[str]:
    return [f.message for f in check_generated(column, text, COLUMNS, {"day", "yr"})]


def test_good_generation_expressions_pass() -> None:
    assert generated("day", "CAST(ts AS DATE)") == []
    assert generated("yr", "year(dt)") == []


@pytest.mark.parametrize(("column", "text", "needle"), [
    ("day", "CAST(tss AS DATE)", "'tss', which is not a column"),
    ("day", "CAST(ts AS", "not valid SQL"),
    ("day", "day + 1", "refers to the column itself"),
    ("yr", "year(day)", "another generated column"),
    ("day", "current_date()", "different value on every write"),
    ("yr", "rand() * 10", "different value on every write"),
    ("day", "upper(customer)", "yields a string, but the column is date"),
])
def test_bad_generation_expressions_are_named(column: str, text: str, needle: str) -> None:
    found = generated(column, text)
    assert any(needle in m for m in found), found
