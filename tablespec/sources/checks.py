"""CHECK constraints evaluated by tablespec on the typed batches of a load, before delta-rs sees
them (issue 15.2), so a violation names the file, the row (and line), the constraint, its
expression and the offending values — delta-rs would refuse the whole write with a bare preview.

The expression is parsed once by sqlglot (:mod:`tablespec.specfiles.expressions`, the same parser
validate uses) and translated to a polars expression. Delta's rule: a row passes only when the
CHECK is TRUE; FALSE and NULL both violate. A constraint using SQL this translation does not know
is left to delta-rs's own check at write time (:func:`compile_check` returns None), which still
writes nothing — only its message is plainer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal as Number
from typing import Any

import polars as pl

from tablespec.model import types as T

SHOWN = 5


class Untranslatable(Exception):
    """The expression uses SQL the polars translation does not cover."""


@dataclass(frozen=True)
class Check:
    name: str
    text: str
    expr: pl.Expr  # TRUE where the row passes
    columns: tuple[str, ...]  # the columns it reads, to show with a violation
    kind: str = "constraint"  # or "expectation"
    on_fail: str = "fail"  # expectations: fail | drop | warn


def compile_checks(constraints: Sequence[tuple[str, str]], columns: Mapping[str, T.DataType]) -> list[Check]:
    """Every constraint that can be translated; the others stay with delta-rs's own check."""
    out = []
    for name, text in constraints:
        check = compile_check(name, text, columns)
        if check is not None:
            out.append(check)
    return out


def compile_expectations(expectations: Sequence[Any], columns: Mapping[str, T.DataType]) -> list[Check]:
    """The spec's expectations (validate has made sure each one can be evaluated here)."""
    out = []
    for e in expectations:
        check = compile_check(e.name, e.check, columns)
        if check is None:
            raise Untranslatable(f"expectation {e.name!r}: {e.check}")
        out.append(Check(check.name, check.text, check.expr, check.columns, "expectation", e.on_fail))
    return out


def compile_check(name: str, text: str, columns: Mapping[str, T.DataType]) -> Check | None:
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(text, read="spark")
        names = {k.lower(): k for k in columns}
        expr = _Translator(names, columns).expr(tree)
    except (Untranslatable, sqlglot.errors.SqlglotError, KeyError):
        return None
    used = tuple(dict.fromkeys(names[c.name.lower()] for c in tree.find_all(exp.Column)))
    return Check(name, text, expr.fill_null(False), used)


class Violations:
    """Rows that break a CHECK, per constraint: the first few with their row and values, and a count."""

    def __init__(self, checks: Sequence[Check], row: str) -> None:
        self.checks, self.row = list(checks), row
        self.found: dict[str, tuple[Check, list[tuple[int, dict[str, Any]]], list[int]]] = {}

    def __bool__(self) -> bool:
        return bool(self.found)

    def add(self, frame: pl.DataFrame) -> None:
        """Check one typed batch (it holds the row-number column ``row``)."""
        if not self.checks or frame.height == 0:
            return
        passed = frame.select([c.expr.alias(f"__c{i}") for i, c in enumerate(self.checks)])
        for i, check in enumerate(self.checks):
            bad = frame.filter(~passed[f"__c{i}"])
            if bad.height == 0:
                continue
            _, shown, count = self.found.setdefault(check.name, (check, [], [0]))
            count[0] += bad.height
            for record in bad.select(self.row, *check.columns).head(SHOWN - len(shown)).iter_rows(named=True):
                row = int(record.pop(self.row))
                shown.append((row, record))

    def lines(self, where: Callable[[int], str]) -> list[str]:
        out = []
        for name, (check, shown, count) in self.found.items():
            rows = "; ".join(f"{where(row)}: {describe_values(values)}" for row, values in shown)
            more = f"; and {count[0] - len(shown)} more" if count[0] > len(shown) else ""
            what = f"constraint {name!r} CHECK" if check.kind == "constraint" else f"expectation {name!r}"
            out.append(f"{what} ({check.text}) fails for {count[0]} row(s): {rows}{more}")
        return out


class Expectations:
    """Expectations on the typed batches of one file: ``fail`` ones collect violations (nothing is
    written), ``drop`` ones remove the rows, ``warn`` ones only count; counts per expectation."""

    def __init__(self, checks: Sequence[Check], row: str) -> None:
        self.checks = list(checks)
        self.failing = Violations([c for c in checks if c.on_fail == "fail"], row)
        self.counts: dict[str, int] = {c.name: 0 for c in checks if c.on_fail != "fail"}

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The rows to write: without the dropped ones (counted); failing ones are recorded."""
        if not self.checks or frame.height == 0:
            return frame
        self.failing.add(frame)
        keep = pl.lit(True)
        others = [c for c in self.checks if c.on_fail != "fail"]
        if others:
            passed = frame.select([c.expr.alias(f"__e{i}") for i, c in enumerate(others)])
            for i, check in enumerate(others):
                self.counts[check.name] += passed.height - int(passed[f"__e{i}"].sum())
                if check.on_fail == "drop":
                    keep = keep & pl.col(f"__e{i}")
            if any(c.on_fail == "drop" for c in others):
                return pl.concat([frame, passed], how="horizontal").filter(keep).select(frame.columns)
        return frame


def describe_values(values: Mapping[str, Any]) -> str:
    """``amount='-3.50', dt=NULL``: the values a check read, as a violation shows them."""
    return ", ".join(f"{k}={'NULL' if v is None else repr(str(v))}" for k, v in values.items())


class _Translator:
    def __init__(self, names: Mapping[str, str], types: Mapping[str, T.DataType]) -> None:
        self.names = names
        self.types = {k.lower(): v for k, v in types.items()}

    def expr(self, node: Any) -> pl.Expr:  # one dispatch over SQL node kinds
        from sqlglot import exp

        binary: dict[type, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
            exp.EQ: lambda a, b: a == b, exp.NEQ: lambda a, b: a != b, exp.GT: lambda a, b: a > b,
            exp.GTE: lambda a, b: a >= b, exp.LT: lambda a, b: a < b, exp.LTE: lambda a, b: a <= b,
            exp.Add: lambda a, b: a + b, exp.Sub: lambda a, b: a - b, exp.Mul: lambda a, b: a * b,
            exp.Div: lambda a, b: a / b, exp.Mod: lambda a, b: a % b,
        }  # fmt: skip
        if isinstance(node, exp.Paren):
            return self.expr(node.this)
        if isinstance(node, exp.And):
            return self.expr(node.left) & self.expr(node.right)  # Kleene logic, as SQL
        if isinstance(node, exp.Or):
            return self.expr(node.left) | self.expr(node.right)
        if isinstance(node, exp.Not):
            return ~self.expr(node.this)
        if type(node) in binary:
            left, right = self._pair(node.left, node.right)
            return binary[type(node)](left, right)
        if isinstance(node, exp.Is):
            if isinstance(node.expression, exp.Null):
                return self.expr(node.this).is_null()
            raise Untranslatable("IS other than IS NULL")
        if isinstance(node, exp.Between):
            value = self.expr(node.this)
            low, high = self._pair(node.this, node.args["low"])[1], self._pair(node.this, node.args["high"])[1]
            return (value >= low) & (value <= high)
        if isinstance(node, exp.In):
            if node.args.get("query"):
                raise Untranslatable("IN (subquery)")
            value = self.expr(node.this)
            items = [self._pair(node.this, item)[1] for item in node.expressions]
            # SQL: NULL IN (...) is NULL, so NOT IN keeps it NULL too (a violation)
            return pl.when(value.is_null()).then(pl.lit(None, pl.Boolean)).otherwise(
                pl.any_horizontal([value == item for item in items]))
        if isinstance(node, (exp.Like, exp.ILike)):
            pattern = node.expression
            if not (isinstance(pattern, exp.Literal) and pattern.is_string) or node.args.get("escape"):
                raise Untranslatable("LIKE with a non-literal pattern or ESCAPE")
            regex = ("(?i)" if isinstance(node, exp.ILike) else "") + _like_regex(pattern.name)
            matched = self.expr(node.this).str.contains(regex)
            return ~matched if node.args.get("negate") else matched
        if node.args.get("negate"):
            raise Untranslatable(f"negated {type(node).__name__}")
        if isinstance(node, exp.Column):
            return pl.col(self.names[node.name.lower()])
        if isinstance(node, exp.Boolean):
            return pl.lit(bool(node.this))
        if isinstance(node, exp.Null):
            return pl.lit(None)
        if isinstance(node, (exp.Literal, exp.Neg)):
            return pl.lit(_number(node) if not (isinstance(node, exp.Literal) and node.is_string) else node.name)
        if isinstance(node, (exp.Cast, exp.TryCast)):
            return self._cast(node)
        if isinstance(node, exp.Coalesce):
            return pl.coalesce([self.expr(node.this), *[self.expr(e) for e in node.expressions]])
        if isinstance(node, exp.Length):
            return self.expr(node.this).str.len_chars()
        if isinstance(node, exp.Lower):
            return self.expr(node.this).str.to_lowercase()
        if isinstance(node, exp.Upper):
            return self.expr(node.this).str.to_uppercase()
        if isinstance(node, exp.Abs):
            return self.expr(node.this).abs()
        if isinstance(node, exp.Year):
            return self.expr(node.this).dt.year()
        if isinstance(node, exp.Month):
            return self.expr(node.this).dt.month()
        if isinstance(node, exp.TsOrDsToDate):  # year(d) parses as year(to_date(d))
            return self._text_or(node.this, pl.Date())
        raise Untranslatable(type(node).__name__)

    def _pair(self, a: Any, b: Any) -> tuple[pl.Expr, pl.Expr]:
        """Both sides; a literal beside a column takes the column's type (a date from text, a
        decimal from a number), as Spark coerces it."""
        from sqlglot import exp

        left, right = self.expr(a), self.expr(b)
        for this, other, swap in ((a, b, False), (b, a, True)):
            if isinstance(this, exp.Column) and _is_literal(other):
                t = self.types.get(this.name.lower())
                typed = _typed_literal(other, t)
                if typed is not None:
                    return (typed, left) if swap else (left, typed)
        return left, right

    def _cast(self, node: Any) -> pl.Expr:
        to = node.to.sql("spark").lower()
        if to == "date":
            return self._text_or(node.this, pl.Date())
        if to in ("timestamp", "timestamp_ntz"):
            return self._text_or(node.this, pl.Datetime("us"))
        kinds = {"double": pl.Float64, "float": pl.Float32, "bigint": pl.Int64, "int": pl.Int32, "string": pl.String}
        if to in kinds:
            return self.expr(node.this).cast(kinds[to], strict=False)
        raise Untranslatable(f"CAST AS {to}")

    def _text_or(self, node: Any, dtype: pl.DataType) -> pl.Expr:
        from sqlglot import exp

        if isinstance(node, exp.Literal) and node.is_string:
            value = dt.date.fromisoformat(node.name) if dtype == pl.Date() else dt.datetime.fromisoformat(node.name)
            return pl.lit(value, dtype)
        return self.expr(node).cast(dtype, strict=False)


def _is_literal(node: Any) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Literal) or (isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal))


def _number(node: Any) -> int | float | Number:
    from sqlglot import exp

    text = ("-" + node.this.name) if isinstance(node, exp.Neg) else node.name
    if any(c in text for c in ".eE"):
        return Number(text)
    return int(text)


def _typed_literal(node: Any, t: T.DataType | None) -> pl.Expr | None:
    from sqlglot import exp

    string = isinstance(node, exp.Literal) and node.is_string
    if isinstance(t, T.Decimal) and not string:
        return pl.lit(Number(str(_number(node))), pl.Decimal(t.precision, t.scale))
    if isinstance(t, T.Primitive) and string and t.name == "date":
        return pl.lit(dt.date.fromisoformat(node.name), pl.Date)
    if isinstance(t, T.Primitive) and not string and t.name in ("double", "float"):
        return pl.lit(float(_number(node)))
    return None


def _like_regex(pattern: str) -> str:
    """SQL LIKE (``%`` any run, ``_`` one character, ``\\`` escapes) as an anchored regex."""
    import re

    out, i = ["^"], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    out.append("$")
    return "(?s)" + "".join(out)
