"""The base of every plan action (risk classes, phases, the one sort key) and the column
definition actions carry: split from :mod:`tablespec.model.actions` so the upkeep actions
(:mod:`tablespec.model.upkeep_actions`) build on it without an import cycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

Risk = Literal["metadata", "write", "maintenance", "rewrite", "destructive", "unsupported"]
RISKS: tuple[Risk, ...] = ("metadata", "write", "maintenance", "rewrite", "destructive", "unsupported")
FORMAT_VERSION = 1

# Phases, in the order apply runs them for one table.
# Upkeep: loads, then optimize, then vacuum, then log cleanup (and a checkpoint after it).
CREATE, SCHEMA, METADATA, CONSTRAINTS, LOADS, OPTIMIZE, VACUUM, LOG = range(8)
LoadReason = Literal["new", "changed", "already loaded"]


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str
    nullable: bool = True
    comment: str | None = None
    generated: str | None = None  # Delta generation expression


@dataclass(frozen=True)
class Action:
    """Base of every plan action; ``table`` is the spec name it belongs to."""

    table: str
    phase: ClassVar[int]
    # Order within the phase. In the schema phase: dropped constraints first, additive changes,
    # then rewrites (type, nullability, partitioning) and dropping a column last.
    rank: ClassVar[int] = 0

    @classmethod
    def order_key(cls) -> tuple[int, int]:
        """The one sort key: what ``plan`` shows and what apply runs use the same order."""
        return (cls.phase, cls.rank)

    @property
    def risk(self) -> Risk:
        raise NotImplementedError

    @property
    def refused_reason(self) -> str:
        """Why apply will not do this without permission (empty for ordinary actions)."""
        return ""
