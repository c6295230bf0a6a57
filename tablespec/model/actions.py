"""The plan as data: typed, frozen actions that know their risk class and phase.

Actions hold no I/O and no formatting: two plans compare with ``==``;
renderers (``tablespec.render``) and the executor (``tablespec.applying.executor``) each keep their own
dispatch table keyed by action type, and a test checks that every type has a handler in each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from tablespec.model.action_base import (  # noqa: F401 - re-exported: the plan's vocabulary lives here
    CONSTRAINTS,
    CREATE,
    FORMAT_VERSION,
    LOADS,
    LOG,
    METADATA,
    OPTIMIZE,
    RISKS,
    SCHEMA,
    VACUUM,
    Action,
    ColumnDef,
    LoadReason,
    Risk,
)
from tablespec.model.state import SourceFile
from tablespec.model.upkeep_actions import (  # noqa: F401 - re-exported
    Checkpoint,
    CleanupLog,
    Optimize,
    PartitionWork,
    Vacuum,
)

# --- ordinary actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class CreateTable(Action):
    phase: ClassVar[int] = CREATE
    columns: tuple[ColumnDef, ...] = ()
    partitioned_by: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    description: str | None = None
    constraints: tuple[tuple[str, str], ...] = ()

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class AddColumns(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 1
    columns: tuple[ColumnDef, ...] = ()
    # Delta appends new columns at the end; when the spec puts them elsewhere, this says so
    note: str = ""

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class AddStructFields(Action):
    """Add fields inside struct columns (also structs inside arrays and maps): one schema-only
    commit, no data rewritten; existing rows read the new fields as null (delta-rs
    ``alter.add_columns`` merges the widened struct into the schema)."""

    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 1
    # (column, its new type, the dotted names of the added fields) per struct column
    structs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class RelaxNullability(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 1
    column: str = ""

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class SetProperties(Action):
    phase: ClassVar[int] = METADATA
    changes: tuple[tuple[str, str | None, str], ...] = ()  # (key, old value or None, new value)

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class UnsetProperties(Action):
    phase: ClassVar[int] = METADATA
    removed: tuple[tuple[str, str], ...] = ()  # (key, old value)

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class SetDescription(Action):
    phase: ClassVar[int] = METADATA
    old: str | None = None
    new: str | None = None

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class SetColumnComment(Action):
    phase: ClassVar[int] = METADATA
    column: str = ""
    old: str | None = None
    new: str | None = None

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class AddConstraint(Action):
    phase: ClassVar[int] = CONSTRAINTS
    name: str = ""
    expression: str = ""
    # why it cannot be added: rows already in the table break it (the planner scans for them, issue 15.1)
    blocked: str = ""

    @property
    def risk(self) -> Risk:
        return "unsupported" if self.blocked else "metadata"

    @property
    def refused_reason(self) -> str:
        return self.blocked


@dataclass(frozen=True)
class DropConstraint(Action):
    # Runs at the start of the schema phase, so a column the plan drops is free of it.
    phase: ClassVar[int] = SCHEMA
    name: str = ""
    expression: str = ""

    @property
    def risk(self) -> Risk:
        return "metadata"


@dataclass(frozen=True)
class PendingFile:
    file: SourceFile
    reason: LoadReason
    rows: int | None = None  # known without a scan for parquet; None otherwise


@dataclass(frozen=True)
class LoadSource(Action):
    """Load a source's pending files. Loads are the declared data flow: class ``write`` in every mode."""

    phase: ClassVar[int] = LOADS
    source: str = ""
    mode: str = "append"
    files: tuple[PendingFile, ...] = ()  # every file the source resolves to, pending or not
    skipped: tuple[str, ...] = ()  # files in the source's folder that are not of its format (never loaded)

    @property
    def risk(self) -> Risk:
        return "write"

    @property
    def pending(self) -> tuple[PendingFile, ...]:
        return tuple(f for f in self.files if f.reason != "already loaded")

    @property
    def pending_bytes(self) -> int:
        return sum(f.file.size for f in self.pending)

    @property
    def pending_rows(self) -> int | None:
        rows = [f.rows for f in self.pending]
        return None if any(r is None for r in rows) else sum(r or 0 for r in rows)


@dataclass(frozen=True)
class RenameColumn(Action):
    """``renamed_from``: one action, never a drop plus an add. delta-rs 1.6 has no rename, so
    ``how`` is ``rewrite`` (a verified rewrite: every value of ``old`` is ``new``'s afterwards) or
    ``unsupported`` with the reason in ``blocked`` (a column-mapping table, whose schema delta-rs cannot change;
    ``metadata`` is for an engine that can commit the rename as a schema change)."""

    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 2  # before type and nullability changes, which name the new column
    old: str = ""
    new: str = ""
    how: Risk = "rewrite"
    blocked: str = ""  # why it cannot be done at all (``how == "unsupported"``)

    @property
    def risk(self) -> Risk:
        return self.how

    @property
    def refused_reason(self) -> str:
        if self.blocked:
            return self.blocked
        return f"renaming {self.old!r} to {self.new!r} rewrites every data file (delta-rs has no rename)"


@dataclass(frozen=True)
class DropColumn(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 6
    column: str = ""
    type: str = ""

    @property
    def risk(self) -> Risk:
        return "destructive"

    @property
    def refused_reason(self) -> str:
        return (f"column {self.column!r} is in the table but not in the spec; dropping it loses its data "
                f"(for a rename, give the new column renamed_from: {self.column})")


@dataclass(frozen=True)
class ChangeColumnType(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 3
    column: str = ""
    old: str = ""
    new: str = ""
    kind: Literal["widening", "narrowing", "incompatible"] = "incompatible"

    @property
    def risk(self) -> Risk:
        risks: dict[str, Risk] = {"widening": "rewrite", "narrowing": "destructive", "incompatible": "unsupported"}
        return risks[self.kind]

    @property
    def refused_reason(self) -> str:
        if self.kind == "widening":
            return f"widening {self.old} -> {self.new} rewrites every data file (delta-rs cannot widen in place)"
        if self.kind == "narrowing":
            return f"narrowing {self.old} -> {self.new} can lose values; needs a verified rewrite"
        return f"{self.old} -> {self.new} is not a type change Delta can make"


@dataclass(frozen=True)
class TightenNullability(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 4
    column: str = ""

    @property
    def risk(self) -> Risk:
        return "rewrite"

    @property
    def refused_reason(self) -> str:
        return f"making {self.column!r} NOT NULL needs a rewrite verified to find no nulls"


@dataclass(frozen=True)
class ChangePartitioning(Action):
    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 5
    old: tuple[str, ...] = ()
    new: tuple[str, ...] = ()

    @property
    def risk(self) -> Risk:
        return "rewrite"

    @property
    def refused_reason(self) -> str:
        return "partitioning is fixed when a table is created; changing it rewrites every data file"


@dataclass(frozen=True)
class Unsupported(Action):
    """Anything else the spec asks for that tablespec cannot do; always refused."""

    phase: ClassVar[int] = SCHEMA
    rank: ClassVar[int] = 1
    what: str = ""
    reason: str = ""

    @property
    def risk(self) -> Risk:
        return "unsupported"

    @property
    def refused_reason(self) -> str:
        return self.reason


ACTION_TYPES: tuple[type[Action], ...] = (
    CreateTable, AddColumns, AddStructFields, RelaxNullability, SetProperties, UnsetProperties, SetDescription,
    SetColumnComment, AddConstraint, DropConstraint, LoadSource, Optimize, Vacuum, CleanupLog, Checkpoint,
    RenameColumn, DropColumn, ChangeColumnType, TightenNullability, ChangePartitioning, Unsupported,
)  # fmt: skip


def sort_actions(actions: Sequence[Action]) -> tuple[Action, ...]:
    """The order apply runs a table's actions in, and so the order a plan lists them in:
    :meth:`Action.order_key`; ties keep the order diff produced them in (stable)."""
    return tuple(sorted(actions, key=lambda a: a.order_key()))
