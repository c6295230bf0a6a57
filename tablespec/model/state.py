"""What a table looks like right now, as read from its Delta log: plain frozen data.

``tablespec.planning.observe`` fills it in (the only place that reads the log for planning);
``tablespec.planning.diff`` compares it with a spec. A missing table is a state (``exists=False``),
not an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from tablespec.model.keys import CONSTRAINT_PREFIX  # noqa: F401 - re-exported


@dataclass(frozen=True)
class ColumnState:
    name: str
    type: str  # canonical type string (tablespec.model.types)
    nullable: bool = True
    comment: str | None = None


@dataclass(frozen=True)
class SourceFile:
    """One file a source resolves to, identified by its content."""

    path: str  # absolute path or s3:// URI
    size: int
    digest: str  # content hash (sha256 hex for local files; "etag:..." for object stores)


@dataclass(frozen=True)
class VacuumPreview:
    """What a vacuum at the spec's retention would remove (from a dry run)."""

    retention_seconds: int
    files: int = 0
    bytes: int = 0
    # files that some version still inside the log retention window references: removing them
    # breaks time travel to those versions, which makes the vacuum destructive
    unsafe_files: int = 0


@dataclass(frozen=True)
class TableState:
    uri: str
    exists: bool
    version: int | None = None
    name: str | None = None
    description: str | None = None
    columns: tuple[ColumnState, ...] = ()
    partitioned_by: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()  # sorted; without delta.constraints.* keys
    constraints: tuple[tuple[str, str], ...] = ()  # name -> expression, sorted by name
    min_reader_version: int = 0
    min_writer_version: int = 0
    reader_features: tuple[str, ...] = ()
    writer_features: tuple[str, ...] = ()
    num_files: int = 0
    size_bytes: int = 0
    created_at: str | None = None  # ISO 8601 UTC of the first commit, when known
    last_commit_at: str | None = None
    # app-transaction versions (Delta `txn` actions) looked up for this plan's loads: app id -> version
    app_transactions: tuple[tuple[str, int], ...] = ()
    vacuum: VacuumPreview | None = None
    # spec CHECK expression -> the text deltalake stores for it (it rewrites expressions: `amount >= 0`
    # becomes `amount >= '0'::decimal(18, 2)`); filled by observe for spec constraints whose stored
    # spelling differs, so diff can tell a respelling from a change without parsing SQL itself
    constraint_forms: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> ColumnState | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    @property
    def properties_dict(self) -> dict[str, str]:
        return dict(self.properties)

    @property
    def app_transactions_dict(self) -> dict[str, int]:
        return dict(self.app_transactions)


def absent(uri: str) -> TableState:
    return TableState(uri=uri, exists=False)
