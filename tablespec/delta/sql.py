"""SQL text and argument checks that :class:`tablespec.delta.table.DeltaTable` builds on.

Pure functions, kept apart from ``table.py`` so they can be tested without a table: identifiers
and literals quoted once, merge and partition predicates, and the checks on what callers pass.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from tablespec.errors import SchemaMismatch
from tablespec.model.keys import CONSTRAINT_PREFIX

# --- SQL text ----------------------------------------------------------------------------------


def quote(name: str) -> str:
    """A column name as a SQL identifier: backticks, with embedded backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


def literal(value: Any) -> str:
    """A Python value as a SQL literal; strings are quoted with embedded quotes doubled."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot use {value!r} as a partition value")
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot use {type(value).__name__} {value!r} as a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def resolve_columns(names: Sequence[str], available: Sequence[str], *, what: str) -> list[str]:
    """``names`` spelled as the table spells them; Delta column names compare case-insensitively."""
    by_lower = {name.lower(): name for name in available}
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        raise SchemaMismatch(
            f"{what} {', '.join(unknown)} not in the table (columns: {', '.join(available)})",
            missing=tuple(unknown),
        )
    return [by_lower[name.lower()] for name in names]


def partition_predicate(alias: str, partition_values: Mapping[str, Sequence[Any]]) -> str:
    """``alias.`dt` IN ('2024-01-01', ...)`` per column, AND-ed; None matches the null partition."""
    clauses = []
    for column, values in partition_values.items():
        values = list(values)
        if not values:
            raise ValueError(f"partition_values[{column!r}] is empty: the merge would touch nothing")
        ident = f"{alias}.{quote(column)}"
        present = [v for v in values if v is not None]
        parts = [f"{ident} IN ({', '.join(literal(v) for v in present)})"] if present else []
        if len(present) < len(values):
            parts.append(f"{ident} IS NULL")
        clauses.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses)


def merge_predicate(keys: Sequence[str], partition_filter: str = "") -> str:
    """``t.`k` = s.`k` AND ...``: keys come from the schema, never from data, and are quoted."""
    parts = [f"t.{quote(k)} = s.{quote(k)}" for k in keys]
    if partition_filter:
        parts.append(partition_filter)
    return " AND ".join(parts)


# --- arguments -------------------------------------------------------------------------------


def checked_properties(properties: Mapping[str, str]) -> dict[str, str]:
    props = dict(properties)
    for key, value in props.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"table properties are strings; got {key!r}: {value!r}")
        if key.startswith(CONSTRAINT_PREFIX):
            raise ValueError(f"{key}: set CHECK constraints with add_constraint, not as a property")
    return props


def only_delta_keys(props: Mapping[str, str]) -> bool:
    """deltalake rejects unknown keys only all-or-nothing; custom keys (``owner``) must pass, so the
    check is kept only when every key is a ``delta.`` one, where a typo is worth an error."""
    return all(key.startswith("delta.") for key in props)


def check_choice(argument: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{argument} must be one of {', '.join(allowed)}, not {value!r}")


def partition_values(
    values: Mapping[str, Sequence[Any]] | None, partition_columns: Sequence[str]
) -> dict[str, list[Any]]:
    if not values:
        return {}
    names = resolve_columns(list(values), list(partition_columns), what="partition column(s)")
    out: dict[str, list[Any]] = {}
    for name, given in zip(names, values.values(), strict=True):
        if isinstance(given, (str, bytes)):
            raise TypeError(f"partition_values[{name!r}] must be a list of values, not a single string")
        out[name] = list(given)
    return out
