"""``tablespec show`` and ``tablespec history``: a live table's state and commits, from its log.

Nothing here writes to a table or opens a data file. Tables are opened through the one open path
(:func:`tablespec.delta.handle.open_table`), which also decides "absent" vs "not a Delta table"
the way ``plan`` does. ``read`` is :mod:`tablespec.inspect.rows`.

Library code: returns frozen data, raises :class:`~tablespec.errors.TablespecError` subclasses,
never prints. The CLI (``tablespec.cli.inspect``) renders.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tablespec.delta import log as deltalog
from tablespec.delta.commit import AppTransaction
from tablespec.delta.handle import open_table, reach, read_listing
from tablespec.delta.upkeep import data_files
from tablespec.errors import StorageError, TableNotFound
from tablespec.model.keys import APP_ID_PREFIX as LOAD_PREFIX
from tablespec.model.keys import CONSTRAINT_PREFIX, DEFAULT_TARGET_FILE_SIZE, TARGET_FILE_SIZE
from tablespec.model.state import TableState
from tablespec.model.tableinfo import (
    ColumnInfo,
    Commit,
    Health,
    PartitionHealth,
    SourceLoads,
    TableInfo,
    commit_from_info,
    iso,
)
from tablespec.planning.observe import observe_uri

__all__ = ["ColumnInfo", "Commit", "SourceLoads", "TableInfo", "describe", "history"]


# --- show ------------------------------------------------------------------------------------


def describe(uri: str, storage_options: Mapping[str, str] | None = None, *, name: str | None = None,
             sources: Sequence[str] = (), target_size: int | None = None) -> TableInfo:
    """Everything ``tablespec show`` prints, from the log only. ``sources`` are the spec's source
    names, listed even when nothing was loaded for them yet; ``target_size`` the spec's
    ``maintenance.optimize.target_file_size`` (else the table's delta.targetFileSize, else
    delta-rs's 100 MiB), half of which makes a file small in the health section."""
    label = name or uri
    state = _observe(uri, storage_options, name)
    dt = open_table(uri, storage_options, version=state.version, name=name)  # pinned: one version throughout
    version = int(dt.version())
    schema = json.loads(dt.schema().to_json())
    metadata = dt.metadata()
    config = dict(metadata.configuration)
    actions = dt.get_add_actions(flatten=False)
    paths, records = _column(actions, "path"), _column(actions, "num_records")
    partitions = {tuple(sorted(p.items())) for p in dt.partitions()} if metadata.partition_columns else set()
    fs = reach(uri, storage_options, label)
    listing = read_listing(fs, uri, label)  # listed after pinning, so it holds every commit up to ``version``
    try:
        infos = deltalog.commit_infos(fs, listing, [v for v in (0,) if v in listing.commits])
        txns = deltalog.app_transactions(fs, listing, version)
    except Exception as e:
        raise StorageError(f"cannot read the Delta log of {label}: {e}", uri=uri) from e
    stamps = listing.commit_timestamps()
    return TableInfo(
        uri=uri,
        name=name,
        version=version,
        created_at=iso(metadata.created_time) or iso(stamps.get(0)),
        last_commit_at=iso(stamps.get(version)),
        description=metadata.description or None,
        columns=tuple(ColumnInfo.from_delta(f) for f in schema["fields"]),
        partitioned_by=tuple(metadata.partition_columns),
        properties=tuple(sorted((k, v) for k, v in config.items() if not k.startswith(CONSTRAINT_PREFIX))),
        constraints=tuple(sorted((k[len(CONSTRAINT_PREFIX):], v) for k, v in config.items()
                                 if k.startswith(CONSTRAINT_PREFIX))),
        min_reader_version=state.min_reader_version,
        min_writer_version=state.min_writer_version,
        reader_features=state.reader_features,
        writer_features=state.writer_features,
        num_files=len(paths),
        size_bytes=sum(int(s or 0) for s in _column(actions, "size_bytes")),
        num_records=None if len(records) != len(paths) or None in records else sum(records),
        num_partitions=len(partitions),
        checkpoint_version=listing.last_checkpoint(version),
        earliest_version=listing.earliest_readable(),
        first_engine=str(infos.get(0, {}).get("engineInfo") or "") or None,
        loads=_group_loads(txns, sources),
        other_app_transactions=tuple((t.app_id, t.version) for t in txns.values()
                                     if not t.app_id.startswith(LOAD_PREFIX + "/")),
        health=health(dt, listing, version, target_size or _int(config.get(TARGET_FILE_SIZE))
                      or DEFAULT_TARGET_FILE_SIZE),
    )


def health(dt: Any, listing: deltalog.Listing, version: int, target_size: int) -> Health:
    per: dict[tuple[tuple[str, str | None], ...], list[int]] = {}
    for f in data_files(dt):
        per.setdefault(f.partition, []).append(f.size)
    small = target_size // 2
    last = listing.last_checkpoint(version)
    return Health(
        small_below=small,
        partitions=tuple(PartitionHealth(values, len(sizes), sum(sizes), sum(1 for s in sizes if s < small))
                         for values, sizes in sorted(per.items(), key=lambda kv: [(c, v or "") for c, v in kv[0]])),
        commits_since_checkpoint=sum(1 for v in listing.commits if (last is None or v > last) and v <= version),
        last_checkpoint=last,
        oldest_version=listing.earliest_readable(),
    )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _observe(uri: str, storage_options: Mapping[str, str] | None, name: str | None) -> TableState:
    """The planner's view of the table (version, protocol, features), so show and plan agree."""
    state = observe_uri(uri, storage_options=storage_options or {}, name=name)
    if not state.exists:
        raise TableNotFound(f"table {name or uri} does not exist at {uri}", uri=uri,
                            hint="check the location, or create the table with `tablespec apply`")
    return state


def _column(table: Any, name: str) -> list[Any]:
    if name not in table.schema.names:
        return []
    import pyarrow as pa

    return pa.table(table).column(name).to_pylist()


def _group_loads(txns: dict[str, AppTransaction], sources: Sequence[str]) -> tuple[SourceLoads, ...]:
    """Group ``tablespec/<source>/<kind>/...`` app transactions (see tablespec.planning.exactly_once) per source."""
    grouped: dict[str, list[AppTransaction]] = {s: [] for s in sources}
    for txn in txns.values():
        parts = txn.app_id.split("/", 2)
        if len(parts) >= 2 and parts[0] == LOAD_PREFIX:
            grouped.setdefault(parts[1], []).append(txn)
    return tuple(SourceLoads.from_transactions(source, items) for source, items in sorted(grouped.items()))


# --- history ---------------------------------------------------------------------------------


def history(uri: str, storage_options: Mapping[str, str] | None = None, *, limit: int | None = None,
            name: str | None = None) -> tuple[Commit, ...]:
    """Commits newest first, from the commit files still in the log (log cleanup removes old
    ones; those versions are simply absent). Timestamps are the commits' own (``inCommitTimestamp``
    when recorded, else ``commitInfo.timestamp``; the file's modification time only for a commit
    without either), the same ones ``read --as-of`` resolves against."""
    label = name or uri
    fs = reach(uri, storage_options, label)
    listing = read_listing(fs, uri, label)
    versions = sorted(listing.commits, reverse=True)
    if limit is not None:
        versions = versions[: max(limit, 0)]
    try:
        infos = deltalog.commit_infos(fs, listing, versions)
    except Exception as e:
        raise StorageError(f"cannot read the Delta log of {label}: {e}", uri=uri) from e
    stamps = listing.commit_timestamps()
    return tuple(commit_from_info(v, infos.get(v, {}), stamps.get(v)) for v in versions)
