"""``tablespec read``: rows of a live table now, at a version, or as of a timestamp.

Reads through the one DataFusion scan (:mod:`tablespec.delta.scan`), the reader that honours
column mapping and deletion vectors, batch by batch, stopping once ``limit`` rows matched.
Library code: returns frozen data, raises tablespec errors, never prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tablespec.delta.handle import check_version, reach, read_listing
from tablespec.delta.scan import scan_batches, snapshot_arrow_schema
from tablespec.delta.table import DeltaTable
from tablespec.errors import NoSuchVersion, StorageError, UsageError
from tablespec.model.durations import parse_timestamp as _parse_timestamp


@dataclass(frozen=True)
class ReadResult:
    frame: Any  # polars.DataFrame
    version: int
    truncated: bool  # more rows matched than --limit allowed

    def to_json_rows(self) -> list[dict[str, Any]]:
        return [{k: json_value(v) for k, v in row.items()} for row in self.frame.to_dicts()]


def parse_timestamp(text: str) -> datetime:
    """``--as-of`` text as an aware datetime (:func:`tablespec.model.durations.parse_timestamp`)."""
    try:
        return _parse_timestamp(text)
    except ValueError as e:
        raise UsageError(f"--as-of {text!r} is not an ISO 8601 timestamp",
                         hint="write e.g. 2026-01-31, 2026-01-31T12:00:00Z or 2026-01-31T12:00:00+01:00") from e


def read_rows(uri: str, storage_options: Mapping[str, str] | None = None, *, version: int | None = None,
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

    if version is not None and as_of is not None:
        raise UsageError("give --version or --as-of, not both")
    label = name or uri
    stamp = parse_timestamp(as_of) if isinstance(as_of, str) else as_of
    fs = reach(uri, storage_options, label)
    listing = read_listing(fs, uri, label)
    if version is not None:
        check_version(listing, version, label)  # says which versions remain, before deltalake fails
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
        reader = scan_batches(dt, sql)
        for batch in reader:
            frame = pl.DataFrame(pa.Table.from_batches([batch]))
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
        schema = snapshot_arrow_schema(dt)
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
