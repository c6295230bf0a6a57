"""Plans as text for people, JSON for machines, markdown for pull-request comments.

Each format lives in its own module with its own dispatch table keyed by action type
(so a new action cannot be half-supported: ``tests/unit/test_render_golden.py``
checks every type has a handler in each). Output is deterministic — tables sorted by name,
actions in phase order, property keys sorted — so golden files and PR comments are stable.
Renderers return strings; they never print (the CLI does).
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any

from tablespec.render.common import MARKERS, human_bytes, load_summary, plural, quote

if TYPE_CHECKING:
    from tablespec.model.plan import Plan

__all__ = ["FORMATS", "MARKERS", "human_bytes", "load_summary", "plural", "quote", "render", "use_color"]

FORMATS = ("text", "json", "markdown")


def render(plan: Plan, fmt: str = "text", *, color: bool = False, title: str = "tablespec plan") -> str:
    """``plan`` in ``fmt`` (one of :data:`FORMATS`); ``color`` applies to text only, ``title`` (the
    command that made the plan: ``tablespec diff`` compares specs) to markdown only."""
    if fmt == "text":
        from tablespec.render import text

        return text.render(plan, color=color)
    if fmt == "json":
        from tablespec.render import json

        return json.render(plan)
    if fmt == "markdown":
        from tablespec.render import markdown

        return markdown.render(plan, title=title)
    raise ValueError(f"unknown plan format {fmt!r}; use one of {', '.join(FORMATS)}")


def use_color(stream: IO[Any]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
