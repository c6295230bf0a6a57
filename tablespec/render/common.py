"""Wording shared by the plan formats (text, json, markdown) and the apply and inspect reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tablespec.model.actions import LoadSource

MARKERS = {"create": "+", "change": "~", "remove": "-", "refused": "!"}


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
