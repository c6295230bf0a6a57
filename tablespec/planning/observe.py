"""The live state of a table, read from its Delta log only: the planner's one view of storage.

``observe`` never opens a data file. A location without a table is a state
(``TableState(exists=False)``), because planning a table that does not exist yet is the normal
first step; a store that cannot be reached, or a folder that holds files but no Delta log, is an
error (:class:`~tablespec.errors.StorageError`, :class:`~tablespec.errors.NotADeltaTable`) that
names the table and its location with secrets redacted (``tablespec.DeltaTable`` translates them).

Two things deltalake's Python API cannot answer cheaply are read from the log directly
(``tablespec.delta.log``):

* App transactions. ``DeltaTable.transaction_version(app_id)`` replays the log for every call:
  ~1 ms per id with a recent checkpoint, ~100 ms per id on a 2,000-commit table without one.
  A load plan asks for two ids per source file, so above :data:`PER_ID_LOOKUPS` ids one pass
  over the newest checkpoint and the commits after it reads every ``txn`` action at once.
* Tombstones (``remove`` actions) and their ``deletionTimestamp``, to tell which files a vacuum
  would take from versions that time travel may still reach (see :func:`time_travel_start`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tablespec.config import is_remote
from tablespec.delta import log as deltalog
from tablespec.delta.constraints import constraint_forms
from tablespec.delta.snapshots import files_and_bytes
from tablespec.delta.store import table_filesystem
from tablespec.delta.table import DeltaTable
from tablespec.delta.upkeep import upkeep_state
from tablespec.errors import TableNotFound
from tablespec.model.durations import parse_duration
from tablespec.model.spec import (
    DEFAULT_DELETED_FILE_RETENTION_SECONDS,
    DEFAULT_LOG_RETENTION_SECONDS,
    DELETED_FILE_RETENTION,
    LOG_RETENTION,
    MaintenanceSpec,
    RetentionSpec,
    TableSpec,
)
from tablespec.model.state import CONSTRAINT_PREFIX, ColumnState, TableState, VacuumPreview, absent
from tablespec.model.tableinfo import ColumnInfo, iso

if TYPE_CHECKING:
    from tablespec.delta.handle import RawTable

# Up to this many app ids are looked up one by one; more are read in one pass over the log.
PER_ID_LOOKUPS = 4
TXN_RETENTION = "delta.setTransactionRetentionDuration"


def observe(spec: TableSpec, *, storage_options: Mapping[str, str], app_ids: Iterable[str] = ()) -> TableState:
    """The table a spec describes, as it is now; with a vacuum preview when the spec vacuums."""
    return observe_uri(
        spec.uri,
        storage_options=storage_options,
        name=spec.name,
        app_ids=app_ids,
        retention=spec.retention if spec.retention.vacuum else None,
        constraints=spec.constraints,
        maintenance=spec.maintenance,
    )


def observe_uri(
    uri: str,
    *,
    storage_options: Mapping[str, str],
    name: str | None = None,
    app_ids: Iterable[str] = (),
    retention: RetentionSpec | None = None,
    constraints: Iterable[tuple[str, str]] = (),
    maintenance: MaintenanceSpec | None = None,
) -> TableState:
    """The table at ``uri``. ``app_ids``: the app transactions to report (missing ones are left
    out); ``retention``: when given, also preview the vacuum it implies (``TableState.vacuum``);
    ``constraints``: the spec's CHECK constraints, to learn how deltalake would store them
    (``TableState.constraint_forms``); ``maintenance``: when it declares upkeep, what planning it
    needs from the log (``TableState.upkeep``, :mod:`tablespec.delta.upkeep`)."""
    table = DeltaTable(uri, dict(storage_options), name=name or uri)
    try:
        raw = table.raw()
    except TableNotFound:
        return absent(uri)
    with table.translating("observe"):
        state = _state(uri, name, raw)
        ids = sorted(set(app_ids))
        log = _Log(uri, storage_options, state.version or 0)
        txns = _app_transactions(raw, log, ids, state.properties_dict) if ids else {}
        preview = _vacuum_preview(table, log, state, retention) if retention is not None else None
        upkeep = None
        if maintenance is not None and maintenance.declared:
            upkeep = upkeep_state(raw, log.fs, log.listing, maintenance, now_ms=_now_ms(),
                                  workers=8 if is_remote(uri) else 1)
    forms = constraint_forms(raw, dict(constraints), dict(state.constraints))
    return dataclasses.replace(state, app_transactions=tuple(sorted(txns.items())), vacuum=preview,
                               constraint_forms=tuple(sorted(forms.items())), upkeep=upkeep)


def _state(uri: str, name: str | None, raw: RawTable) -> TableState:
    metadata = raw.metadata()
    config = dict(metadata.configuration)
    protocol = raw.protocol()
    fields = json.loads(raw.schema().to_json())["fields"]
    columns = []
    for field in fields:
        info = ColumnInfo.from_delta(field)  # unsupported types keep their Delta JSON as the type text
        columns.append(ColumnState(info.name, info.type, info.nullable, info.comment, info.generated))
    num_files, size = files_and_bytes(raw)
    return TableState(
        uri=uri,
        exists=True,
        version=int(raw.version()),
        name=name or metadata.name or None,
        description=metadata.description or None,
        columns=tuple(columns),
        partitioned_by=tuple(metadata.partition_columns),
        properties=tuple(sorted((k, v) for k, v in config.items() if not k.startswith(CONSTRAINT_PREFIX))),
        constraints=tuple(sorted((k[len(CONSTRAINT_PREFIX):], v) for k, v in config.items()
                                 if k.startswith(CONSTRAINT_PREFIX))),
        min_reader_version=int(protocol.min_reader_version),
        min_writer_version=int(protocol.min_writer_version),
        reader_features=tuple(sorted(protocol.reader_features or ())),
        writer_features=tuple(sorted(protocol.writer_features or ())),
        num_files=num_files,
        size_bytes=size,
        created_at=iso(metadata.created_time) if metadata.created_time else None,
    )


class _Log:
    """The table's ``_delta_log``, listed at most once and only when something needs it."""

    def __init__(self, uri: str, storage_options: Mapping[str, str], version: int) -> None:
        self.uri, self.storage_options, self.version = uri, dict(storage_options), version
        self._fs: Any = None
        self._listing: deltalog.Listing | None = None

    @property
    def fs(self) -> Any:
        if self._fs is None:
            self._fs = table_filesystem(self.uri, self.storage_options)
        return self._fs

    @property
    def listing(self) -> deltalog.Listing:
        if self._listing is None:
            self._listing = deltalog.list_log(self.fs)
        return self._listing


# --- app transactions --------------------------------------------------------------------------


def _app_transactions(
    raw: RawTable, log: _Log, ids: list[str], properties: Mapping[str, str]
) -> dict[str, int]:
    if len(ids) <= PER_ID_LOOKUPS:
        found = {app_id: raw.transaction_version(app_id) for app_id in ids}
        return {k: int(v) for k, v in found.items() if v is not None}
    # object stores answer slowly: read commits concurrently there; a local folder reads faster
    # than threads start
    txns = deltalog.app_transactions(log.fs, log.listing, log.version, workers=8 if is_remote(log.uri) else 1)
    return live_transactions(txns, ids, properties, now_ms=_now_ms())


def live_transactions(
    txns: Mapping[str, deltalog.AppTransaction], ids: Iterable[str], properties: Mapping[str, str], *, now_ms: int
) -> dict[str, int]:
    """The versions of ``ids`` among ``txns``. When the table sets
    ``delta.setTransactionRetentionDuration``, a txn whose ``lastUpdated`` is older than that is
    expired (PROTOCOL.md "Transaction Identifiers") and counts as absent, as deltalake's own
    lookup treats it."""
    expiry = None
    if properties.get(TXN_RETENTION):
        try:
            expiry = now_ms - parse_duration(properties[TXN_RETENTION]) * 1000
        except ValueError:
            expiry = None
    result = {}
    for app_id in ids:
        txn = txns.get(app_id)
        if txn is None:
            continue
        if expiry is not None and txn.last_updated is not None and txn.last_updated < expiry:
            continue
        result[app_id] = txn.version
    return result


# --- vacuum preview -------------------------------------------------------------------------------


def vacuum_retention_seconds(retention: RetentionSpec, properties: Mapping[str, str]) -> int:
    """The retention a vacuum runs with: the spec's ``deleted_files`` — the value the same apply
    sets as ``delta.deletedFileRetentionDuration`` before it vacuums, so a lowered retention
    converges in one apply (issue 13.4) — else the table's own property (Delta's 7-day default
    when unset). Zero means zero (validate asks for ``duration_check: false``)."""
    if retention.deleted_files is not None:
        return retention.deleted_files
    return _duration(properties.get(DELETED_FILE_RETENTION), DEFAULT_DELETED_FILE_RETENTION_SECONDS)


def log_retention_seconds(retention: RetentionSpec | None, properties: Mapping[str, str]) -> int:
    """How far back time travel is promised: the longer of the table's ``delta.logRetentionDuration``
    (30 days when unset) and the spec's ``retention.log`` (which apply is about to set)."""
    own = _duration(properties.get(LOG_RETENTION), DEFAULT_LOG_RETENTION_SECONDS)
    return max(own, (retention.log if retention else None) or 0)


def time_travel_start(now_ms: int, log_retention_s: int, oldest_readable_ms: int | None) -> int:
    """The earliest instant (ms) time travel must still reach.

    Delta promises time travel across ``delta.logRetentionDuration``; and nothing older than the
    oldest version still reconstructable from the log (log cleanup removed the rest) can be
    reached at all. So the window starts at the later of ``now - log retention`` and that
    version's commit timestamp."""
    start = now_ms - log_retention_s * 1000
    return max(start, oldest_readable_ms) if oldest_readable_ms is not None else start


def unsafe_files(files: Iterable[str], removed_at: Mapping[str, int | None], window_start_ms: int) -> int:
    """How many of the files a vacuum would delete some version inside the time-travel window
    still references.

    The rule: a file removed at ``deletionTimestamp`` T was part of the table until T (the
    version before its ``remove`` commit was current up to then). Time travel "as of" any instant
    in [window start, T) resolves to a version that still lists the file, so the file is unsafe
    exactly when T > window start. Files without a tombstone (left by failed writes, never
    committed) and tombstones without a timestamp (vacuum treats them as ancient) are safe.
    """
    count = 0
    for path in files:
        stamp = removed_at.get(unquote(path))
        if stamp is not None and stamp > window_start_ms:
            count += 1
    return count


def _vacuum_preview(table: DeltaTable, log: _Log, state: TableState, retention: RetentionSpec) -> VacuumPreview:
    properties = state.properties_dict
    seconds = vacuum_retention_seconds(retention, properties)
    # a preview at the retention apply will have set: the table's current property may still be longer
    result = table.vacuum(retention=dt.timedelta(seconds=seconds), dry_run=True, enforce_retention=False)
    if not result.files:
        return VacuumPreview(retention_seconds=seconds)
    listing = log.listing
    oldest = listing.earliest_readable()
    stamps = listing.commit_timestamps()
    start = time_travel_start(_now_ms(), log_retention_seconds(retention, properties),
                              stamps.get(oldest) if oldest is not None else None)
    removed = deltalog.tombstones(log.fs, listing, log.version)
    return VacuumPreview(
        retention_seconds=seconds,
        files=len(result.files),
        bytes=int(result.bytes),
        unsafe_files=unsafe_files(result.files, removed, start),
    )


def _duration(text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError:
        return default  # an unreadable value must not shorten a retention


def _now_ms() -> int:
    return int(time.time() * 1000)

