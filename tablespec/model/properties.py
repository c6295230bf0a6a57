"""The Delta protocol's table properties (``delta.*``) and the values each takes (issue 24.3).

delta-rs commits any ``delta.*`` key it is given when told not to check them, so a misspelt
``delta.apendOnly`` or ``delta.appendOnly: "maybe"`` would land in the log and mean nothing.
``validate`` checks every ``delta.*`` key against this table — a near miss gets a did-you-mean —
and each value against its kind. Keys outside ``delta.`` are the user's own and pass as they are.
Sources: the Delta protocol (PROTOCOL.md, "Table properties"), delta-rs's ``TableProperty`` and
Databricks' table-properties reference for keys other engines set.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

Kind = Literal["boolean", "integer", "interval", "string"] | tuple[str, ...]

BOOLEAN: Kind = "boolean"
INTEGER: Kind = "integer"
INTERVAL: Kind = "interval"
STRING: Kind = "string"

KNOWN: dict[str, Kind] = {
    "delta.appendOnly": BOOLEAN,
    "delta.autoOptimize.autoCompact": ("true", "false", "auto", "legacy"),
    "delta.autoOptimize.optimizeWrite": BOOLEAN,
    "delta.checkpoint.writeStatsAsJson": BOOLEAN,
    "delta.checkpoint.writeStatsAsStruct": BOOLEAN,
    "delta.checkpointInterval": INTEGER,
    "delta.checkpointPolicy": ("classic", "v2"),
    "delta.columnMapping.mode": ("none", "name", "id"),
    "delta.columnMapping.maxColumnId": INTEGER,
    "delta.compatibility.symlinkFormatManifest.enabled": BOOLEAN,
    "delta.dataSkippingNumIndexedCols": INTEGER,
    "delta.dataSkippingStatsColumns": STRING,
    "delta.deletedFileRetentionDuration": INTERVAL,
    "delta.enableChangeDataFeed": BOOLEAN,
    "delta.enableDeletionVectors": BOOLEAN,
    "delta.enableExpiredLogCleanup": BOOLEAN,
    "delta.enableIcebergCompatV1": BOOLEAN,
    "delta.enableIcebergCompatV2": BOOLEAN,
    "delta.enableInCommitTimestamps": BOOLEAN,
    "delta.enableRowTracking": BOOLEAN,
    "delta.enableTypeWidening": BOOLEAN,
    "delta.enableVariantShredding": BOOLEAN,
    "delta.inCommitTimestampEnablementTimestamp": INTEGER,
    "delta.inCommitTimestampEnablementVersion": INTEGER,
    "delta.liquid.clusteringColumns": STRING,
    "delta.isolationLevel": ("Serializable", "WriteSerializable", "SnapshotIsolation"),
    "delta.logRetentionDuration": INTERVAL,
    "delta.minReaderVersion": INTEGER,
    "delta.minWriterVersion": INTEGER,
    "delta.parquet.compression.codec": ("uncompressed", "snappy", "gzip", "lzo", "brotli", "lz4", "zstd"),
    "delta.randomPrefixLength": INTEGER,
    "delta.randomizeFilePrefixes": BOOLEAN,
    "delta.setTransactionRetentionDuration": INTERVAL,
    "delta.targetFileSize": STRING,
    "delta.tuneFileSizesForRewrites": BOOLEAN,
    "delta.universalFormat.enabledFormats": STRING,
}
PREFIXES: dict[str, Kind] = {
    "delta.feature.": ("supported", "enabled"),  # protocol table features
    "delta.constraints.": STRING,  # CHECK constraints (tablespec writes them from constraints:)
}
_BY_LOWER = {k.lower(): k for k in KNOWN}
_INTERVAL = re.compile(r"^\s*interval\s+\d+\s+(nanosecond|microsecond|millisecond|second|minute|hour|day|week)s?\s*$",
                       re.IGNORECASE)  # fmt: skip


def check_property(key: str, value: object) -> tuple[str, str] | None:
    """(problem, hint) for a ``delta.*`` property the protocol does not define or whose value does
    not fit its kind; None when it is fine (or not a ``delta.`` key at all). An unknown key with
    no near miss is only worth a warning (:func:`is_near_miss` tells): engines add keys."""
    if not key.startswith("delta."):
        return None
    kind = next((k for prefix, k in PREFIXES.items() if key.startswith(prefix)), None) or KNOWN.get(key)
    if kind is None:
        near = _BY_LOWER.get(key.lower()) or next(iter(difflib.get_close_matches(key, KNOWN, n=1, cutoff=0.8)), None)
        hint = (f"did you mean {near}?" if near else
                "tablespec does not know this delta.* key and commits it as it is; check its spelling, "
                "or use your own prefix (e.g. myteam.owner) for other properties")
        return f"property {key} is not a Delta table property", hint
    text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
    problem = _misfit(kind, text)
    return None if problem is None else (f"property {key}: {text!r} is not {problem}", _example(kind))


def is_near_miss(key: str) -> bool:
    """An unknown ``delta.*`` key that looks like a misspelling of a known one."""
    return key not in KNOWN and (key.lower() in _BY_LOWER or bool(difflib.get_close_matches(key, KNOWN, n=1, cutoff=0.8)))


def _misfit(kind: Kind, text: str) -> str | None:
    if kind == BOOLEAN:
        return None if text.lower() in ("true", "false") else "a boolean"
    if kind == INTEGER:
        return None if re.fullmatch(r"-?\d+", text) else "an integer"
    if kind == INTERVAL:
        return None if _INTERVAL.match(text) else "an interval"
    if isinstance(kind, tuple):
        return None if text.lower() in {k.lower() for k in kind} else f"one of {', '.join(kind)}"
    return None


def _example(kind: Kind) -> str:
    if kind == BOOLEAN:
        return "write true or false"
    if kind == INTEGER:
        return "write a whole number, e.g. 10"
    if kind == INTERVAL:
        return "write e.g. 'interval 7 days'"
    return f"write one of {', '.join(kind)}" if isinstance(kind, tuple) else ""
