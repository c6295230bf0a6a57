"""SQL expressions in a spec — CHECK constraints and generation expressions — checked at validate,
against the spec's own columns and types, without storage (issues 15.1 and 24.2).

The expressions are Spark SQL, as Delta stores them; sqlglot parses them (a real SQL parser, not a
hand-written one), so the checks are: the text parses; every column it names is a column of the
spec; a literal compared with a column fits that column's type (``discount < 1000`` on a
``decimal(5,2)`` cannot be stored); a generation expression is deterministic, does not read
another generated column, and yields a type its column can hold, where that type can be told.
A CHECK on a nullable column that does not handle NULL is a warning: Delta rejects a row whose
CHECK is NULL, so ``amount >= 0`` refuses every row with an empty amount.

sqlglot is imported only when a spec holds an expression, so ``validate`` stays fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal as Number
from decimal import InvalidOperation
from typing import TYPE_CHECKING

from tablespec.model import types as T

if TYPE_CHECKING:
    from sqlglot import exp

NON_DETERMINISTIC = ("rand", "random", "randn", "uuid", "now", "current_timestamp", "current_date", "localtimestamp",
                     "current_user", "monotonically_increasing_id", "shuffle", "input_file_name")  # fmt: skip
_INTEGER_RANGES = {"byte": 7, "short": 15, "integer": 31, "long": 63}
_FAMILY = {"byte": "number", "short": "number", "integer": "number", "long": "number", "float": "number",
           "double": "number", "string": "string", "boolean": "boolean", "date": "date", "timestamp": "timestamp",
           "timestamp_ntz": "timestamp", "binary": "binary"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    message: str
    hint: str = ""
    warning: bool = False


# SQL node kinds tablespec evaluates itself (tablespec.sources.checks translates exactly these);
# a CHECK beyond them is left to delta-rs, an expectation beyond them is refused at validate
EVALUATED = frozenset({
    "Paren", "And", "Or", "Not", "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "Add", "Sub", "Mul", "Div", "Mod", "Is",
    "Between", "In", "Like", "ILike", "Column", "Identifier", "Boolean", "Null", "Literal", "Neg", "Cast", "TryCast",
    "DataType", "Coalesce", "Length", "Lower", "Upper", "Abs", "Year", "Month", "TsOrDsToDate",
})  # fmt: skip


def check_constraint(name: str, text: str, columns: Mapping[str, T.DataType], nullable: Mapping[str, bool],
                     renamed: set[str] | frozenset[str] = frozenset(), *, kind: str = "constraint") -> list[Finding]:  # fmt: skip
    """What is wrong with CHECK constraint ``name`` over the spec's ``columns`` (lower name -> type);
    ``renamed``: old names of renamed columns, which the plan refuses with its own reason.
    ``kind="expectation"``: an expectation, which tablespec alone evaluates, so it must use SQL
    tablespec can evaluate (:data:`EVALUATED`)."""
    what = f"{kind} {name!r}"
    tree, findings = _parse(what, text)
    if tree is None:
        return findings
    if kind == "expectation":
        beyond = sorted({type(node).__name__ for node in tree.walk() if type(node).__name__ not in EVALUATED})
        if beyond:
            findings.append(Finding(f"{what} uses SQL tablespec cannot evaluate on loaded rows: {', '.join(beyond)}",
                                    "use comparisons, AND/OR/NOT, IS [NOT] NULL, [NOT] IN, BETWEEN, [NOT] LIKE, "
                                    "arithmetic, CAST, coalesce, length, lower, upper, abs, year, month"))  # fmt: skip
    findings += [f for f in _check_columns(what, tree, columns)
                 if not any(f"column {old!r}" in f.message.lower() for old in renamed)]  # fmt: skip
    findings += _check_literals(what, tree, columns)
    if kind != "expectation":  # an expectation's NULL fails it too, by design (docs/loads.md)
        findings += _check_nulls(what, tree, columns, nullable)
    return findings


def check_generated(column: str, text: str, columns: Mapping[str, T.DataType],
                    generated: set[str]) -> list[Finding]:  # fmt: skip
    """What is wrong with the generation expression of ``column`` (``generated``: lower names of
    the spec's generated columns)."""
    what = f"column {column!r}: generated expression"
    tree, findings = _parse(what, text)
    if tree is None:
        return findings
    others = {k: v for k, v in columns.items() if k != column.lower()}
    findings += _check_columns(what, tree, others, itself=column)
    findings += _check_literals(what, tree, columns)
    for ref in _columns(tree):
        if ref.lower() in generated and ref.lower() != column.lower():
            findings.append(Finding(f"{what} reads {ref!r}, another generated column",
                                    "compute it from the stored columns it is made of"))  # fmt: skip
    for call in _calls(tree):
        if call in NON_DETERMINISTIC:
            findings.append(Finding(f"{what} calls {call}(), which gives a different value on every write",
                                    "a generated column must be deterministic: a function of the row's other columns"))  # fmt: skip
    target = columns.get(column.lower())
    made = _result_family(tree, columns)
    want = _family(target) if target is not None else None
    if made and want and made != want and not (made == "date" and want == "timestamp"):
        findings.append(Finding(f"{what} yields a {made}, but the column is {str(target)}",
                                f"cast it: CAST(... AS {str(target).upper()})"))  # fmt: skip
    return findings


# --- the checks -------------------------------------------------------------------------------


def _parse(what: str, text: str) -> tuple[exp.Expr | None, list[Finding]]:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        tree = sqlglot.parse_one(text, read="spark")
    except (ParseError, TokenError) as e:
        errors = getattr(e, "errors", None) or [{}]
        near = errors[0].get("highlight")
        col = errors[0].get("col")
        detail = (f"incomplete or unexpected text at {near!r} (character {col})" if near and col
                  else "unbalanced quotes or an unknown symbol")  # fmt: skip
        return None, [Finding(f"{what} is not valid SQL: {detail}", "write a Spark SQL boolean expression, e.g. amount >= 0")]
    if tree is None:
        return None, [Finding(f"{what} is empty", "write a Spark SQL expression")]
    return tree, []


def _columns(tree: exp.Expr) -> list[str]:
    from sqlglot import exp

    return list(dict.fromkeys(c.name for c in tree.find_all(exp.Column)))


def _calls(tree: exp.Expr) -> list[str]:
    from sqlglot import exp

    names = []
    for node in tree.find_all(exp.Func):
        name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
        names.append(str(name).lower())
    return names


def _check_columns(what: str, tree: exp.Expr, columns: Mapping[str, T.DataType],
                   itself: str = "") -> list[Finding]:  # fmt: skip
    out = []
    for ref in _columns(tree):
        if ref.lower() in columns:
            continue
        if itself and ref.lower() == itself.lower():
            out.append(Finding(f"{what} refers to the column itself",
                               "a generation expression computes the column from other columns of the row"))  # fmt: skip
            continue
        near = difflib.get_close_matches(ref.lower(), list(columns), n=1, cutoff=0.6)
        out.append(Finding(f"{what} names column {ref!r}, which is not a column of this table",
                           f"did you mean {near[0]!r}?" if near else f"columns: {', '.join(columns)}"))  # fmt: skip
    return out


def _check_literals(what: str, tree: exp.Expr, columns: Mapping[str, T.DataType]) -> list[Finding]:
    """``column <op> literal`` (either side): the literal must fit the column's type."""
    from sqlglot import exp

    out = []
    for node in tree.find_all(exp.Binary):
        if not isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
            continue
        left, right = node.left, node.right
        if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
            left, right = right, left
        if not isinstance(left, exp.Column):
            continue
        t = columns.get(left.name.lower())
        literal = _literal(right)
        if t is None or literal is None:
            continue
        problem = _misfit(literal, t)
        if problem:
            out.append(Finding(f"{what}: {right.sql('spark')} {problem} (column {left.name!r} is {str(t)})",
                               "compare with a value of the column's type"))  # fmt: skip
    for among in tree.find_all(exp.In):
        if isinstance(among.this, exp.Column) and (t := columns.get(among.this.name.lower())) is not None:
            for item in among.expressions:
                literal = _literal(item)
                if literal is not None and (problem := _misfit(literal, t)):
                    out.append(Finding(f"{what}: {item.sql('spark')} {problem} (column {among.this.name!r} is "
                                       f"{str(t)})", "compare with a value of the column's type"))  # fmt: skip
    return out


def _literal(node: exp.Expr) -> tuple[str, str] | None:
    """(kind, text) of a literal: ("number" | "string" | "date" | "timestamp", text); None otherwise."""
    from sqlglot import exp

    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return "number", "-" + node.this.name
    if isinstance(node, exp.Literal):
        return ("string" if node.is_string else "number"), node.name
    if isinstance(node, (exp.Cast, exp.TryCast)) and isinstance(node.this, exp.Literal) and node.this.is_string:
        to = node.to.sql("spark").lower()
        if to in ("date", "timestamp", "timestamp_ntz"):
            return ("timestamp" if to.startswith("timestamp") else "date"), node.this.name
    return None


def _misfit(literal: tuple[str, str], t: T.DataType) -> str:
    kind, text = literal
    family = _family(t)
    if family == "number":
        if kind != "number":
            return f"is a {kind}, not a number"
        try:
            value = Number(text)
        except InvalidOperation:
            return "is not a number"
        if isinstance(t, T.Decimal):
            digits = len(str(abs(int(value)))) if abs(value) >= 1 else 0
            if digits > t.precision - t.scale:
                return f"does not fit decimal({t.precision},{t.scale}): at most {t.precision - t.scale} digit(s) before the point"
            exponent = value.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > t.scale:
                return f"has more than {t.scale} decimal place(s)"
            return ""
        bits = _INTEGER_RANGES.get(getattr(t, "name", ""))
        if bits is not None:
            if value != value.to_integral_value():
                return "is not a whole number"
            if not -(2**bits) <= value < 2**bits:
                return f"is out of range for {str(t)}"
        return ""
    if family in ("date", "timestamp") and kind == "number":
        return f"is a number, not a {family}"
    if family in ("date", "timestamp") and kind in ("string", "date", "timestamp"):
        import datetime as dt

        try:
            (dt.date.fromisoformat if family == "date" and kind != "timestamp" else dt.datetime.fromisoformat)(text)
        except ValueError:
            return f"is not a {family} (write e.g. DATE '2026-01-31')"
        return ""
    if family == "string" and kind == "number":
        return "is a number, but the column is text (quote it)"
    if family == "boolean" and kind in ("number", "string"):
        return "is not a boolean (write true or false)"
    return ""


def _check_nulls(what: str, tree: exp.Expr, columns: Mapping[str, T.DataType],
                 nullable: Mapping[str, bool]) -> list[Finding]:  # fmt: skip
    """Delta rejects a row whose CHECK is NULL: a nullable column compared without a NULL test
    rejects every row where it is empty."""
    from sqlglot import exp

    handled = {c.name.lower() for node in tree.find_all(exp.Is) for c in node.find_all(exp.Column)}
    handled |= {c.name.lower() for node in tree.find_all(exp.Coalesce) for c in node.find_all(exp.Column)}
    if any(call in ("ifnull", "nvl", "nvl2", "isnull", "isnotnull") for call in _calls(tree)):
        return []
    out = []
    for ref in _columns(tree):
        if ref.lower() in columns and nullable.get(ref.lower(), True) and ref.lower() not in handled:
            out.append(Finding(f"{what} does not handle NULL in nullable column {ref!r}: Delta rejects a row whose "
                               "CHECK is NULL, so every row with an empty value fails the write",
                               f"add `{ref} IS NULL OR ...`, or make the column NOT NULL (nullable: false)",
                               warning=True))  # fmt: skip
    return out


def _family(t: T.DataType | None) -> str | None:
    if isinstance(t, T.Decimal):
        return "number"
    if isinstance(t, T.Primitive):
        return _FAMILY.get(t.name)
    return None


def _result_family(tree: exp.Expr, columns: Mapping[str, T.DataType]) -> str | None:
    """The family of the expression's type, where sqlglot can tell it; None when it cannot."""
    from sqlglot import exp
    from sqlglot.optimizer.annotate_types import annotate_types

    copy = tree.copy()
    for c in copy.find_all(exp.Column):
        c.set("table", exp.to_identifier("t"))
    schema: dict[str, object] = {"t": {name: str(t) for name, t in columns.items() if _family(t)}}
    try:
        typed = annotate_types(copy, schema=schema, dialect="spark").type
    except Exception:  # noqa: BLE001 - a type we cannot tell is not checked
        return None
    if typed is None:
        return None
    return _SQLGLOT_FAMILY.get(typed.this.name)


def _families() -> dict[str, str]:
    out = {n: "number" for n in ("TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "UTINYINT")}
    out |= {"VARCHAR": "string", "TEXT": "string", "CHAR": "string", "BOOLEAN": "boolean", "DATE": "date",
            "TIMESTAMP": "timestamp", "DATETIME": "timestamp", "TIMESTAMPTZ": "timestamp", "BINARY": "binary"}  # fmt: skip
    return out


_SQLGLOT_FAMILY = _families()
__all__ = ["Finding", "check_constraint", "check_generated"]
