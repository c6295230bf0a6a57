"""Vacuum: delete data files the table stopped referencing longer ago than the retention.

deltalake gets two things quietly wrong for a user, and this adds the checks: it accepts a
retention shorter than the table's own ``delta.deletedFileRetentionDuration`` when asked, and a
vacuum run twice reports (and commits) files it already deleted, because the tombstone stays in
the log.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tablespec.delta.commit import commit_properties
from tablespec.delta.snapshots import relative
from tablespec.delta.translate import clean
from tablespec.errors import Refused
from tablespec.model.durations import human, parse_duration
from tablespec.model.keys import DEFAULT_DELETED_FILE_RETENTION_SECONDS, DELETED_FILE_RETENTION

if TYPE_CHECKING:
    import deltalake

    from tablespec.delta.handle import TableHandle

RETENTION_PROPERTY = DELETED_FILE_RETENTION


@dataclass(frozen=True)
class VacuumResult:
    files: tuple[str, ...]  # paths relative to the table root
    bytes: int
    dry_run: bool
    note: str = ""  # why ``bytes`` may be incomplete, when it is


def retention_seconds(retention: dt.timedelta | int | float) -> int:
    """Seconds in a vacuum retention; a bare number means hours, as deltalake's ``retention_hours``."""
    if isinstance(retention, dt.timedelta):
        seconds = retention.total_seconds()
    elif isinstance(retention, (int, float)) and not isinstance(retention, bool):
        seconds = float(retention) * 3600
    else:
        raise TypeError(f"retention must be a timedelta or a number of hours, not {retention!r}")
    if seconds < 0:
        raise ValueError("retention cannot be negative")
    return math.ceil(seconds)


def table_retention_seconds(configuration: Mapping[str, str]) -> int:
    """The table's delta.deletedFileRetentionDuration in seconds (Delta's one-week default if unset)."""
    text = configuration.get(RETENTION_PROPERTY)
    if not text:
        return DEFAULT_DELETED_FILE_RETENTION_SECONDS
    try:
        return parse_duration(text)
    except ValueError:
        # An unreadable value must not shorten retention: fall back to the default.
        return DEFAULT_DELETED_FILE_RETENTION_SECONDS


def vacuum(
    table: TableHandle, *, retention: dt.timedelta | int | None, dry_run: bool, commit_metadata: Mapping[str, Any] | None,
    enforce: bool = True,
) -> VacuumResult:
    handle = table.raw()
    minimum = table_retention_seconds(handle.metadata().configuration)
    hours: int | None = None
    if retention is not None:
        seconds = retention_seconds(retention)
        if seconds < minimum and enforce:
            raise Refused(
                f"vacuum of table {table.name} with a retention of {human(seconds)} is shorter than its "
                f"{RETENTION_PROPERTY} ({human(minimum)}): readers of recent versions could lose files",
                hint=f"use a retention of at least {human(minimum)}, or lower {RETENTION_PROPERTY} first",
            )
        # deltalake counts whole hours; round up so it never keeps less than asked. Equal to the
        # table's own setting: let deltalake use the property, which may be finer than an hour.
        hours = None if seconds == minimum else math.ceil(seconds / 3600)
    with table._errors("vacuum"):
        # full: also files no commit references (a failed or conflicting write's), past the retention too
        listed = handle.vacuum(retention_hours=hours, dry_run=True, enforce_retention_duration=enforce, full=True)
    files, sizes, note = _existing(table, handle, listed)
    if dry_run or not files:
        # Nothing to delete: no deltalake run, which would commit VACUUM START/END all the same.
        return VacuumResult(files=tuple(files), bytes=sum(sizes.values()), dry_run=dry_run, note=note)
    with table._errors("vacuum"):
        deleted = handle.vacuum(
            retention_hours=hours,
            dry_run=False,
            enforce_retention_duration=True,
            full=True,
            commit_properties=commit_properties(commit_metadata),
        )
    done = sorted({relative(p, handle.table_uri, table.uri) for p in deleted} & set(files))
    return VacuumResult(files=tuple(done), bytes=sum(sizes.get(f, 0) for f in done), dry_run=False, note=note)


def _existing(
    table: TableHandle, handle: deltalake.DeltaTable, listed: Iterable[str]
) -> tuple[list[str], dict[str, int], str]:
    """The listed files that still exist, with sizes. deltalake lists a file again on every vacuum
    while its tombstone stays in the log, even after deleting it."""
    import pyarrow.fs as pafs

    paths = sorted({relative(p, handle.table_uri, table.uri) for p in listed})
    if not paths:
        return [], {}, ""
    try:
        infos = table._fs().get_file_info(paths)
    except Exception as e:  # noqa: BLE001 - sizes are a nicety of the preview, never a reason to fail it
        return paths, {}, "file sizes unavailable: " + clean(str(e), table._secrets)
    sizes = {i.path: int(i.size or 0) for i in infos if i.type == pafs.FileType.File}
    return sorted(sizes), sizes, ""
