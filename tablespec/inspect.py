"""Look at a live table without changing it: ``show`` (state), ``history`` (commits), ``read`` (rows).

Nothing here writes to a table. ``describe`` and ``history`` read the Delta log only (no data file
is opened); ``read_rows`` scans data through deltalake's own DataFusion provider, because it is
the reader that honours column mapping and deletion vectors (``pl.scan_delta`` refuses column
mapping, ``DeltaTable.to_pyarrow_table`` silently returns nulls for mapped columns).

Library code: returns frozen data, raises :class:`~tablespec.errors.TablespecError` subclasses,
never prints. The CLI (``tablespec.cli.inspect``) renders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from tablespec import deltalog
from tablespec.errors import NotADeltaTable, StorageError, TableNotFound, UsageError
from tablespec.loadplan import PREFIX as LOAD_PREFIX
from tablespec.state import CONSTRAINT_PREFIX, TableState
from tablespec.table import NoSuchVersion
from tablespec.tableinfo import ColumnInfo, Commit, SourceLoads, TableInfo, commit_from_info, iso

__all__ = [
    "ColumnInfo",
    "Commit",
    "NoSuchVersion",
    "ReadResult",
    "SourceLoads",
    "TableInfo",
    "describe",
    "history",
    "json_value",
    "open_table",
    "parse_timestamp",
    "read_rows",
]


# --- opening a table -------------------------------------------------------------------------


def open_table(uri: str, storage_options: dict[str, str] | None, *, version: int | None = None,
               name: str | None = None) -> Any:
    """A ``deltalake.DeltaTable`` at ``uri`` (at ``version`` when given), or a clear error:
    TableNotFound / NotADeltaTable for a location without a table, NoSuchVersion for a
    version the log no longer (or never) holds."""
    import deltalake

    label = name or uri
    fs = _filesystem(uri, storage_options, label)
    listing = _listing(fs, uri, label)
    if version is not None:
        _check_version(listing, version, label)
    try:
        return deltalake.DeltaTable(uri, version=version, storage_options=storage_options or None)
    except Exception as e:  # deltalake raises DeltaError, TableNotFoundError, OSError, plain Exception
        raise StorageError(f"cannot open table {label}: {e}", table=name or "", uri=uri) from e


def _filesystem(uri: str, storage_options: dict[str, str] | None, label: str) -> Any:
    try:
        return deltalog.filesystem(uri, storage_options)
    except Exception as e:
        if "does not exist" in str(e):
            raise TableNotFound(f"table {label} does not exist: nothing at {uri}", uri=uri,
                                hint="check the location, or create the table with `tablespec apply`") from e
        raise StorageError(f"cannot reach {uri}: {e}", uri=uri) from e


def _listing(fs: Any, uri: str, label: str) -> deltalog.Listing:
    try:
        listing = deltalog.list_log(fs)
    except Exception as e:
        raise StorageError(f"cannot list the Delta log of {label} at {uri}: {e}", uri=uri) from e
    if listing.latest is None:
        import pyarrow.fs as pafs

        try:
            anything = bool(fs.get_file_info(pafs.FileSelector("", allow_not_found=True)))
        except Exception:  # noqa: BLE001 - a listing failure means "not found" here too
            anything = False
        if anything:
            raise NotADeltaTable(f"{uri} holds files but no Delta log (_delta_log/ has no commits)", uri=uri,
                                 hint="tablespec import and show need a Delta table, not plain Parquet or CSV files")
        raise TableNotFound(f"table {label} does not exist: no Delta log at {uri}", uri=uri,
                            hint="check the location, or create the table with `tablespec apply`")
    return listing


def _check_version(listing: deltalog.Listing, version: int, label: str) -> None:
    latest = listing.latest
    assert latest is not None
    if version < 0 or version > latest:
        raise NoSuchVersion(f"table {label} has no version {version}; its versions are 0 to {latest}",
                            hint="`tablespec history` lists them")
    earliest = listing.earliest_readable()
    if earliest is None or version < earliest:
        raise NoSuchVersion(
            f"version {version} of table {label} can no longer be read: its log entries were removed by "
            f"log cleanup (delta.logRetentionDuration); the oldest readable version is {earliest}",
            hint="keep history longer with retention.log in the spec",
        )


# --- show ------------------------------------------------------------------------------------


def describe(uri: str, storage_options: dict[str, str] | None = None, *, name: str | None = None,
             sources: Sequence[str] = ()) -> TableInfo:
    """Everything ``tablespec show`` prints, from the log only. ``sources`` are the spec's source
    names, listed even when nothing was loaded for them yet."""
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
    fs = _filesystem(uri, storage_options, label)
    listing = _listing(fs, uri, label)  # listed after pinning, so it holds every commit up to ``version``
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
    )


def _observe(uri: str, storage_options: dict[str, str] | None, name: str | None) -> TableState:
    """The planner's view of the table (version, protocol, features), so show and plan agree."""
    from tablespec.observe import observe_uri

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


def _group_loads(txns: dict[str, deltalog.AppTransaction], sources: Sequence[str]) -> tuple[SourceLoads, ...]:
    """Group ``tablespec/<source>/<kind>/...`` app transactions (see tablespec.loadplan) per source."""
    grouped: dict[str, list[deltalog.AppTransaction]] = {s: [] for s in sources}
    for txn in txns.values():
        parts = txn.app_id.split("/", 2)
        if len(parts) >= 2 and parts[0] == LOAD_PREFIX:
            grouped.setdefault(parts[1], []).append(txn)
    return tuple(SourceLoads.from_transactions(source, items) for source, items in sorted(grouped.items()))


# --- history ---------------------------------------------------------------------------------


def history(uri: str, storage_options: dict[str, str] | None = None, *, limit: int | None = None,
            name: str | None = None) -> tuple[Commit, ...]:
    """Commits newest first, from the commit files still in the log (log cleanup removes old
    ones; those versions are simply absent). Timestamps are the protocol's commit timestamps
    (in-commit timestamp when recorded, else the commit file's modification time), the same ones
    ``read --as-of`` resolves against."""
    label = name or uri
    fs = _filesystem(uri, storage_options, label)
    listing = _listing(fs, uri, label)
    versions = sorted(listing.commits, reverse=True)
    if limit is not None:
        versions = versions[: max(limit, 0)]
    try:
        infos = deltalog.commit_infos(fs, listing, versions)
    except Exception as e:
        raise StorageError(f"cannot read the Delta log of {label}: {e}", uri=uri) from e
    stamps = listing.commit_timestamps()
    return tuple(commit_from_info(v, infos.get(v, {}), stamps.get(v)) for v in versions)


# --- read ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadResult:
    frame: Any  # polars.DataFrame
    version: int
    truncated: bool  # more rows matched than --limit allowed

    def to_json_rows(self) -> list[dict[str, Any]]:
        return [{k: json_value(v) for k, v in row.items()} for row in self.frame.to_dicts()]


def parse_timestamp(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC (as delta-rs assumes)."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError as e:
        raise UsageError(f"--as-of {text!r} is not an ISO 8601 timestamp",
                         hint="write e.g. 2026-01-31, 2026-01-31T12:00:00Z or 2026-01-31T12:00:00+01:00") from e
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def read_rows(uri: str, storage_options: dict[str, str] | None = None, *, version: int | None = None,
              as_of: datetime | str | None = None, columns: Sequence[str] = (), where: str | None = None,
              limit: int | None = None, name: str | None = None) -> ReadResult:
    """Rows of the table now, at ``version``, or as of a timestamp (the newest version committed at
    or before it); ``where`` is a polars SQL expression (``pl.sql_expr``). Reads batch by batch and
    stops once ``limit`` rows matched.

    Time travel goes through ``tablespec.DeltaTable.snapshot`` so the library and the CLI agree on
    which version a timestamp means and on refusing versions vacuum made unreadable; the scan itself
    uses deltalake's DataFusion provider (see the module docstring)."""
    import polars as pl
    import pyarrow as pa
    from deltalake import QueryBuilder

    from tablespec.table import DeltaTable

    if version is not None and as_of is not None:
        raise UsageError("give --version or --as-of, not both")
    label = name or uri
    stamp = parse_timestamp(as_of) if isinstance(as_of, str) else as_of
    fs = _filesystem(uri, storage_options, label)
    listing = _listing(fs, uri, label)
    if version is not None:
        _check_version(listing, version, label)  # says which versions remain, before deltalake fails
    dt = DeltaTable(uri, dict(storage_options or {}), name=label).snapshot(version=version, as_of=stamp)
    resolved = int(dt.version())
    past = resolved != listing.latest
    names = [f.name for f in dt.schema().fields]
    selected = _resolve_columns(columns, names)
    condition = _parse_where(where, names) if where else None
    needed = selected if condition is None else list(dict.fromkeys(selected + condition.meta.root_names()))
    sql = "SELECT " + ", ".join(_quote(c) for c in needed) + " FROM t"
    if condition is None and limit is not None:
        sql += f" LIMIT {int(limit) + 1}"
    wanted = None if limit is None else int(limit) + 1  # one more row tells whether there are more
    frames: list[Any] = []
    count = 0
    try:
        reader = pa.RecordBatchReader.from_stream(QueryBuilder().register("t", dt).execute(sql))
        for batch in reader:
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            if condition is not None:
                frame = _filter(frame, condition, where or "")
            frames.append(frame.select(selected))
            count += frames[-1].height
            if wanted is not None and count >= wanted:
                break
    except UsageError:
        raise
    except Exception as e:
        raise _scan_error(e, label, uri, resolved, past) from e
    if frames:
        result = pl.concat(frames, how="vertical_relaxed")
    else:
        schema = pa.schema(dt.schema().to_arrow())
        result = pl.from_arrow(schema.empty_table().select(selected))
    truncated = limit is not None and result.height > limit
    if limit is not None:
        result = result.head(limit)
    return ReadResult(frame=result, version=resolved, truncated=truncated)


def _resolve_columns(columns: Sequence[str], names: list[str]) -> list[str]:
    if not columns:
        return names
    by_lower = {n.lower(): n for n in names}
    unknown = [c for c in columns if c.lower() not in by_lower]
    if unknown:
        raise UsageError(f"no column {', '.join(map(repr, unknown))} in the table",
                         hint=f"columns: {', '.join(names)}")
    return list(dict.fromkeys(by_lower[c.lower()] for c in columns))


def _parse_where(where: str, names: list[str]) -> Any:
    import polars as pl

    try:
        condition = pl.sql_expr(where)
        roots = condition.meta.root_names()
    except Exception as e:
        raise UsageError(f"--where {where!r} is not a valid SQL expression: {e}",
                         hint="write e.g. --where \"amount > 10 AND region = 'eu'\" (quote names with spaces: \"\\\"Order Id\\\" = 1\")") from e
    unknown = [r for r in roots if r not in names]
    if unknown:
        raise UsageError(f"--where refers to unknown column {', '.join(map(repr, unknown))}",
                         hint=f"columns (case-sensitive here): {', '.join(names)}")
    return condition


def _filter(frame: Any, condition: Any, where: str) -> Any:
    try:
        return frame.filter(condition)
    except Exception as e:
        raise UsageError(f"--where {where!r} cannot be applied to this table: {e}") from e


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scan_error(error: Exception, label: str, uri: str, version: int, past: bool) -> StorageError:
    text = str(error)
    missing = "not found" in text.lower() or "no such file" in text.lower()
    if missing and past:
        return NoSuchVersion(
            f"version {version} of table {label} can no longer be read: data files it needs were removed by "
            f"vacuum (files are kept for delta.deletedFileRetentionDuration after they leave the table)",
            uri=uri, hint="time travel is possible only within the deleted-file retention; see retention.deleted_files")
    if missing:
        return StorageError(f"table {label} references a data file that is missing: {text}", uri=uri,
                            hint="the table is damaged (files removed outside Delta); `tablespec history` shows recent commits")
    return StorageError(f"cannot read table {label}: {text}", uri=uri)


def json_value(value: Any) -> Any:
    """A JSON-safe form of a cell: decimals as exact strings, bytes as base64, times as ISO 8601."""
    import base64
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if hasattr(value, "total_seconds"):
        return value.total_seconds()
    return value
