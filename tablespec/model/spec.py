"""The spec model: what one YAML document says a table must look like, resolved and checked.

Plain frozen data with no I/O. ``tablespec.specfiles.loader`` builds these from YAML; ``tablespec.planning.diff``
compares them with observed state. Column names compare case-insensitively, as in Delta.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from tablespec.errors import Location
from tablespec.model.keys import (  # noqa: F401 - re-exported: the properties `retention:` sets
    CHECKPOINT_INTERVAL,
    DEFAULT_DELETED_FILE_RETENTION_SECONDS,
    DEFAULT_LOG_RETENTION_SECONDS,
    DEFAULT_MIN_SMALL_FILES,
    DEFAULT_TARGET_FILE_SIZE,
    DELETED_FILE_RETENTION,
    LOG_RETENTION,
)

API_VERSION = "tablespec/v1"
LoadMode = Literal["create", "append", "overwrite", "merge"]
SourceFormat = Literal["csv", "parquet", "json", "ndjson"]
WhenMatched = Literal["update", "ignore", "delete"]
WhenNotMatched = Literal["insert", "ignore"]
WhenNotMatchedBySource = Literal["keep", "delete"]

# Reader options a source may set, per format (passed to the reader where meaningful; README).
_TEXT_OPTIONS = {"date_format", "timestamp_format", "true_values", "false_values", "allow_empty"}
SOURCE_OPTIONS = {
    "csv": {"delimiter", "separator", "header", "quote", "null_values", "comment", "skip_rows", "encoding",
            "allow_short_rows"}
    | _TEXT_OPTIONS,
    "ndjson": {"encoding", "schema_rows"} | _TEXT_OPTIONS,
    "json": {"encoding"} | _TEXT_OPTIONS,
    "parquet": {"allow_empty"},
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # canonical spelling, see tablespec.model.types.canonical
    nullable: bool = True
    comment: str | None = None
    # the column's previous name (``renamed_from:``): planned as one RenameColumn; a no-op once the
    # table has no column of that name
    renamed_from: str | None = None
    generated: str | None = None  # Delta generation expression (field metadata delta.generationExpression)
    loc: Location = field(default=Location(""), compare=False, repr=False)


@dataclass(frozen=True)
class MergeSpec:
    keys: tuple[str, ...]
    when_matched: WhenMatched = "update"
    when_not_matched: WhenNotMatched = "insert"
    when_not_matched_by_source: WhenNotMatchedBySource = "keep"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    path: str  # as written in the spec
    resolved: str  # absolute path, glob or s3:// URI
    format: SourceFormat
    mode: LoadMode = "append"
    options: tuple[tuple[str, object], ...] = ()
    merge: MergeSpec | None = None
    extra_columns: Literal["error", "ignore"] = "error"
    dedupe: Literal["error", "last"] = "error"
    loc: Location = field(default=Location(""), compare=False, repr=False)

    @property
    def options_dict(self) -> dict[str, object]:
        return dict(self.options)


@dataclass(frozen=True)
class RetentionSpec:
    deleted_files: int | None = None  # seconds; 0 only with duration_check off
    log: int | None = None  # seconds
    vacuum: bool = False
    duration_check: bool = True  # false: a zero deleted-file retention is allowed (issue 13.4)


@dataclass(frozen=True)
class OptimizeSpec:
    """``maintenance.optimize``: compact partitions with many small files, or z-order them."""

    target_size: int = DEFAULT_TARGET_FILE_SIZE  # bytes
    min_small_files: int = DEFAULT_MIN_SMALL_FILES
    z_order: tuple[str, ...] = ()


@dataclass(frozen=True)
class MaintenanceSpec:
    """``maintenance:``: the upkeep apply keeps doing (docs/upkeep.md)."""

    optimize: OptimizeSpec | None = None
    checkpoint_interval: int | None = None
    log_cleanup: bool = False

    @property
    def declared(self) -> bool:
        return self.optimize is not None or self.checkpoint_interval is not None or self.log_cleanup


OnFail = Literal["fail", "drop", "warn"]


@dataclass(frozen=True)
class ExpectationSpec:
    """``expectations:``: a row check tablespec evaluates on every loaded row (issue 15.3)."""

    name: str
    check: str
    on_fail: OnFail = "fail"


@dataclass(frozen=True)
class TableSpec:
    name: str
    location: str  # as written
    uri: str  # resolved against the warehouse
    columns: tuple[ColumnSpec, ...]
    description: str | None = None
    partitioned_by: tuple[str, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()  # sorted by key
    constraints: tuple[tuple[str, str], ...] = ()  # in spec order
    expectations: tuple[ExpectationSpec, ...] = ()  # in spec order
    retention: RetentionSpec = RetentionSpec()
    sources: tuple[SourceSpec, ...] = ()
    maintenance: MaintenanceSpec = MaintenanceSpec()
    loc: Location = field(default=Location(""), compare=False, repr=False)
    spec_hash: str = field(default="", compare=False)

    def column(self, name: str) -> ColumnSpec | None:
        lowered = name.lower()
        return next((c for c in self.columns if c.name.lower() == lowered), None)

    def managed_properties(self) -> dict[str, str]:
        """Every table property the spec decides: `properties:` plus those `retention:` implies."""
        from tablespec.model.durations import to_delta_interval

        managed = dict(self.properties)
        if self.retention.deleted_files is not None:
            managed[DELETED_FILE_RETENTION] = to_delta_interval(self.retention.deleted_files)
        if self.retention.log is not None:
            managed[LOG_RETENTION] = to_delta_interval(self.retention.log)
        if self.maintenance.checkpoint_interval is not None:
            managed[CHECKPOINT_INTERVAL] = str(self.maintenance.checkpoint_interval)
        return dict(sorted(managed.items()))


def spec_hash(document: object) -> str:
    """A stable hash of one interpolated spec document (key order does not matter)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
