"""What ``show`` and ``history`` report, as frozen data with a JSON form. No I/O.

Kept apart from ``tablespec.inspect.show`` (which reads storage) so renderers and tests can build and
compare these values without deltalake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from tablespec.model.keys import GENERATION_KEY
from tablespec.model.types import TypeParseError, from_delta_json

FORMAT_VERSION = 1
COMMENT = "comment"


def iso(ms: int | None) -> str | None:
    """Milliseconds since the epoch as ISO 8601 UTC (``2026-01-31T12:00:00.123Z``)."""
    if ms is None:
        return None
    stamp = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str  # tablespec type string; the Delta JSON of the type when tablespec cannot name it
    nullable: bool = True
    comment: str | None = None
    # field metadata other than the comment: column mapping ids and physical names, generation
    # expressions, identity settings, invariants; values JSON-encoded
    metadata: tuple[tuple[str, str], ...] = ()
    supported: bool = True  # False when the type has no tablespec spelling (interval, ...)

    @property
    def generated(self) -> str | None:
        """The Delta generation expression of a generated column."""
        return dict(self.metadata).get(GENERATION_KEY)

    @staticmethod
    def from_delta(field: Mapping[str, Any]) -> ColumnInfo:
        """One top-level field of the log's schemaString."""
        try:
            type_text, supported = str(from_delta_json(field["type"])), True
        except (TypeParseError, KeyError, TypeError):
            raw = field.get("type")
            type_text, supported = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True), False
        metadata = dict(field.get("metadata") or {})
        comment = metadata.pop(COMMENT, None)
        return ColumnInfo(
            name=str(field["name"]),
            type=type_text,
            nullable=bool(field.get("nullable", True)),
            comment=None if comment is None else str(comment),
            metadata=tuple(sorted((str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in metadata.items())),
            supported=supported,
        )


@dataclass(frozen=True)
class SourceLoads:
    """The exactly-once markers one source left in the table (see tablespec.planning.exactly_once)."""

    source: str
    files: int = 0  # distinct file contents loaded (``content/<digest>`` markers)
    paths: tuple[str, ...] = ()  # path keys seen (``path/<key>`` markers)
    overwrite: bool = False  # an ``overwrite`` marker: the source replaced the table's rows
    seeded: bool | None = None  # create sources: None = no marker, False = created, True = seed loaded
    last_load_version: int | None = None  # newest commit that set a marker, when still in the log

    @staticmethod
    def from_transactions(source: str, txns: Iterable[Any]) -> SourceLoads:
        files, paths, overwrite, seeded, last = 0, [], False, None, None
        for txn in txns:
            # tablespec/<source>/<kind>[/<key>]
            tail = txn.app_id.split("/", 2)[2] if txn.app_id.count("/") >= 2 else ""
            kind, _, rest = tail.partition("/")
            if kind == "content":
                files += 1
            elif kind == "path":
                paths.append(rest)
            elif kind == "overwrite":
                overwrite = True
            elif kind == "seed":
                seeded = txn.version >= 1
            if txn.commit_version is not None:
                last = max(last or 0, txn.commit_version)
        return SourceLoads(source, files, tuple(sorted(paths)), overwrite, seeded, last)


@dataclass(frozen=True)
class PartitionHealth:
    values: tuple[tuple[str, str | None], ...]  # () for an unpartitioned table
    files: int
    bytes: int
    small_files: int


@dataclass(frozen=True)
class Health:
    """``show``'s health section: where small files pile up and how much log replays on open."""

    small_below: int  # bytes: smaller files count as small (half the target file size)
    partitions: tuple[PartitionHealth, ...]
    commits_since_checkpoint: int  # commit files read after the newest checkpoint (all, without one)
    last_checkpoint: int | None
    oldest_version: int | None  # the oldest version time travel still reaches

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["partitions"] = [{**asdict(p), "values": dict(p.values)} for p in self.partitions]
        return data


@dataclass(frozen=True)
class TableInfo:
    uri: str
    name: str | None
    version: int
    created_at: str | None
    last_commit_at: str | None
    description: str | None
    columns: tuple[ColumnInfo, ...]
    partitioned_by: tuple[str, ...]
    properties: tuple[tuple[str, str], ...]  # sorted, without delta.constraints.*
    constraints: tuple[tuple[str, str], ...]  # name -> expression, sorted
    min_reader_version: int
    min_writer_version: int
    reader_features: tuple[str, ...]
    writer_features: tuple[str, ...]
    num_files: int
    size_bytes: int
    num_records: int | None  # from file statistics; None when a file has none
    num_partitions: int
    checkpoint_version: int | None
    earliest_version: int | None  # oldest version still readable (log cleanup removes older ones)
    first_engine: str | None  # engineInfo of the first commit still in the log
    loads: tuple[SourceLoads, ...]
    other_app_transactions: tuple[tuple[str, int], ...]  # txns of other writers (e.g. streaming queries)
    health: Health | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["health"] = self.health.to_json() if self.health is not None else None
        data["properties"] = dict(self.properties)
        data["constraints"] = dict(self.constraints)
        data["columns"] = [{**asdict(c), "metadata": dict(c.metadata)} for c in self.columns]
        data["other_app_transactions"] = dict(self.other_app_transactions)
        return {"format_version": FORMAT_VERSION, **data}


# --- history ---------------------------------------------------------------------------------

# operationMetrics keys, normalised (lower case, no "_"), per figure: delta-rs writes snake_case
# (num_added_rows), Spark camelCase (numOutputRows); the first key present wins.
_METRICS = {
    "rows_added": ("numaddedrows", "numtargetrowsinserted", "numoutputrows", "numinsertedrows"),
    "rows_updated": ("numupdatedrows", "numtargetrowsupdated"),
    "rows_removed": ("numdeletedrows", "numtargetrowsdeleted", "numremovedrows"),
    "files_added": ("numaddedfiles", "numtargetfilesadded", "numfilesadded", "numfiles"),
    "files_removed": ("numremovedfiles", "numtargetfilesremoved", "numfilesremoved", "numdeletedfiles"),
}
_TABLESPEC_KEYS = ("tablespec.version", "tablespec.plan_id", "tablespec.spec_hash")


@dataclass(frozen=True)
class Commit:
    version: int
    timestamp: str | None  # the protocol's commit timestamp (what --as-of resolves against)
    operation: str | None
    parameters: tuple[tuple[str, str], ...]
    engine: str | None  # engineInfo or clientVersion
    user: str | None  # userName / userId when the writer records one (Spark, Databricks)
    tablespec: tuple[tuple[str, str], ...]  # tablespec.* commit metadata: version, plan_id, spec_hash
    rows_added: int | None = None
    rows_updated: int | None = None
    rows_removed: int | None = None
    files_added: int | None = None
    files_removed: int | None = None
    metrics: tuple[tuple[str, str], ...] = ()  # operationMetrics as written, values as text

    @property
    def tablespec_dict(self) -> dict[str, str]:
        return dict(self.tablespec)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("parameters", "tablespec", "metrics"):
            data[key] = dict(getattr(self, key))
        return data


def commit_from_info(version: int, info: Mapping[str, Any], file_timestamp: int | None) -> Commit:
    """A history row from one ``commitInfo`` action (possibly empty: the protocol makes it optional)."""
    metrics = {str(k): v for k, v in (info.get("operationMetrics") or {}).items()}
    normal = {k.lower().replace("_", ""): v for k, v in metrics.items()}
    figures = {figure: _first_int(normal, keys) for figure, keys in _METRICS.items()}
    # one clock with ``read --as-of`` (issue 13.5): the commit's own time, the file's only when absent
    stamp = info.get("inCommitTimestamp") or info.get("timestamp") or file_timestamp
    tablespec = {k: str(v) for k, v in info.items() if str(k).startswith("tablespec.")}
    user = info.get("userName") or info.get("userId")
    return Commit(
        version=version,
        timestamp=iso(int(stamp)) if stamp is not None else None,
        operation=info.get("operation"),
        parameters=tuple(sorted((str(k), _text(v)) for k, v in (info.get("operationParameters") or {}).items())),
        engine=info.get("engineInfo") or info.get("clientVersion"),
        user=None if user is None else str(user),
        tablespec=tuple(sorted(tablespec.items(), key=lambda kv: (kv[0] not in _TABLESPEC_KEYS, kv[0]))),
        metrics=tuple(sorted((k, _text(v)) for k, v in metrics.items())),
        **figures,
    )


def _first_int(metrics: Mapping[str, Any], keys: Iterable[str]) -> int | None:
    for key in keys:
        if key in metrics and metrics[key] is not None:
            try:
                return int(metrics[key])
            except (TypeError, ValueError):
                continue
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
