"""Meaning checks for the schema-evolution keys of a column (issue 18): ``renamed_from``,
``generated``, and ``variant`` columns on a table with sources. Each problem points at the key.
"""

from __future__ import annotations

import re
from typing import Any

from tablespec.model.types import has_variant


def check_evolution(spec: dict[str, Any], types: dict[str, Any], add: Any) -> None:
    columns = [c for c in spec.get("columns") or () if isinstance(c, dict)] if isinstance(spec.get("columns"), list) else []
    names = {c["name"].lower(): c["name"] for c in columns if isinstance(c.get("name"), str)}
    claimed: dict[str, str] = {}
    for i, column in enumerate(spec.get("columns") or ()):
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            continue
        name = column["name"]
        old = column.get("renamed_from")
        if isinstance(old, str):
            where = ("columns", i, "renamed_from")
            if old.lower() == name.lower():
                add(where, f"column {name!r}: renamed_from names the column itself", "remove renamed_from")
            elif old.lower() in names:
                add(where, f"column {name!r}: renamed_from {old!r} collides with column {names[old.lower()]!r} of "
                    "this spec", "a renamed column's old name must not be another column's name")
            elif old.lower() in claimed:
                add(where, f"column {name!r}: renamed_from {old!r} is also the renamed_from of column "
                    f"{claimed[old.lower()]!r}", "one column can be renamed to one new name")
            else:
                claimed[old.lower()] = name
        expression = column.get("generated")
        if isinstance(expression, str) and _mentions(expression, name):
            add(("columns", i, "generated"), f"column {name!r}: its generated expression refers to the column itself",
                "a generation expression computes the column from other columns of the row")
    if spec.get("sources"):
        for i, column in enumerate(spec.get("columns") or ()):
            if not isinstance(column, dict) or not isinstance(column.get("name"), str):
                continue
            parsed = types.get(column["name"].lower())
            if parsed is not None and has_variant(parsed):
                add(("columns", i, "type"), f"column {column['name']!r} is (or holds) a variant: delta-rs 1.6 cannot "
                    "convert source values (JSON text) to variant, so a table with a variant column cannot have "
                    "sources", "load such a table with another engine, or declare the column as string (JSON text)")


def _mentions(expression: str, column: str) -> bool:
    # a function of the same name (YEAR(day) for column year) is not the column
    return re.search(r"(?<![\w.])`?" + re.escape(column) + r"`?(?![\w])(?!\s*\()", expression, re.IGNORECASE) is not None
