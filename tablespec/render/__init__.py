"""Plans as text for people, JSON for machines, markdown for pull-request comments.

Each format lives in its own module with its own dispatch table keyed by action type
(STYLE.md point 4: a new action cannot be half-supported; ``tests/unit/test_render_golden.py``
checks every type has a handler in each). Output is deterministic — tables sorted by name,
actions in phase order, property keys sorted — so golden files and PR comments are stable.
Renderers return strings; they never print (the CLI does).
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

from tablespec.durations import human

if TYPE_CHECKING:
    from tablespec.actions import LoadSource, Plan

FORMATS = ("text", "json", "markdown")
MARKERS = {"create": "+", "change": "~", "remove": "-", "refused": "!"}


def render(plan: Plan, fmt: str = "text", *, color: bool = False) -> str:
    """``plan`` in ``fmt`` (one of :data:`FORMATS`); ``color`` applies to text only."""
    if fmt == "text":
        from tablespec.render import text

        return text.render(plan, color=color)
    if fmt == "json":
        from tablespec.render import json

        return json.render(plan)
    if fmt == "markdown":
        from tablespec.render import markdown

        return markdown.render(plan)
    raise ValueError(f"unknown plan format {fmt!r}; use one of {', '.join(FORMATS)}")


def use_color(stream: IO[Any]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# --- wording shared by the formats ------------------------------------------------------------------


def human_bytes(size: int) -> str:
    """1536 -> "1.5 KiB"; exact below 1 KiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def quote(value: str | None) -> str:
    """A value as the user wrote it, quoted so that spaces and empty strings show."""
    if value is None:
        return "(none)"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def load_summary(action: LoadSource) -> str:
    """'2 files, 1.5 KiB, 1,000 rows (1 new, 1 changed; 3 already loaded)' for a load action."""
    pending = action.pending
    rows = action.pending_rows
    counts = {reason: sum(1 for f in action.files if f.reason == reason) for reason in ("new", "changed")}
    loaded = len(action.files) - len(pending)
    reasons = ", ".join(f"{n} {reason}" for reason, n in counts.items() if n)
    if loaded:
        reasons += f"; {loaded} already loaded"
    row_text = "rows unknown" if rows is None else plural(rows, "row")
    return (f"{plural(len(pending), 'file')}, {human_bytes(action.pending_bytes)}, {row_text}"
            + (f" ({reasons})" if reasons else ""))


def retention_text(seconds: int) -> str:
    return human(seconds)
