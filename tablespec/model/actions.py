"""The plan as data: typed, frozen actions that know their risk class and phase.

Actions hold no I/O and no formatting: two plans compare with ``==``;
renderers (``tablespec.render``) and the executor (``tablespec.applying.executor``) each keep their own
dispatch table keyed by action type, and a test checks that every type has a handler in each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from tablespec.model.state import SourceFile

Risk = Literal["metadata", "write", "rewrite", "destructive", "unsupported"]
RISKS: tuple[Risk, ...] = ("metadata", "write", "rewrite", "destructive", "unsupported")
FORMAT_VERSION = 1

# Phases, in the order apply runs them for one table.
CREATE, SCHEMA, METADATA, CONSTRAINTS, LOADS, VACUUM = range(6)
LoadReason = Literal["new", "changed", "already loaded"]


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str
    nullable: bool = True
    comment: str | None = None


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

    @property
    def risk(self) -> Risk:
        return "metadata"


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
class Vacuum(Action):
    """Remove files no longer referenced, older than the deleted-file retention.

    Destructive only when some removed file is still referenced by a version inside the log
    retention window (time travel to it would break); otherwise ``write`` (storage only).
    """

    phase: ClassVar[int] = VACUUM
    retention_seconds: int = 0
    files: int = 0
    bytes: int = 0
    unsafe_files: int = 0

    @property
    def risk(self) -> Risk:
        return "destructive" if self.unsafe_files else "write"

    @property
    def refused_reason(self) -> str:
        if self.unsafe_files:
            return (f"{self.unsafe_files} file(s) are still referenced by versions inside the log retention window; "
                    "time travel to those versions would break")
        return ""


# --- changes delta-rs cannot make in place ---------------------------------------------------


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
                "(a rename shows as a drop plus an add)")


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
    CreateTable, AddColumns, RelaxNullability, SetProperties, UnsetProperties, SetDescription,
    SetColumnComment, AddConstraint, DropConstraint, LoadSource, Vacuum,
    DropColumn, ChangeColumnType, TightenNullability, ChangePartitioning, Unsupported,
)  # fmt: skip


def sort_actions(actions: Sequence[Action]) -> tuple[Action, ...]:
    """The order apply runs a table's actions in, and so the order a plan lists them in:
    :meth:`Action.order_key`; ties keep the order diff produced them in (stable)."""
    return tuple(sorted(actions, key=lambda a: a.order_key()))
