"""The small pieces :class:`tablespec.table.DeltaTable` builds on: SQL text, commit properties,
and the translation of deltalake's errors into tablespec's.

Kept apart from ``table.py`` so they can be tested without a table, and so every write shares one
definition of commit metadata and one error mapping.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tablespec.config import is_secret_key, redact
from tablespec.durations import parse_duration
from tablespec.errors import (
    ConcurrentModification,
    DataError,
    SchemaMismatch,
    StorageError,
    TableNotFound,
    TablespecError,
)

try:
    from tablespec import __version__
except ImportError:  # pragma: no cover - only while the package is half-built
    try:
        from importlib.metadata import version as _dist_version

        __version__ = _dist_version("tablespec-delta")
    except Exception:
        __version__ = "0.1.0"

# Generous on purpose: on S3 every writer that loses a race re-reads the log and tries the next
# version. Four busy writers need a handful of attempts each; a hundred leaves a wide margin and
# still ends. deltalake's own default is 15.
MAX_COMMIT_RETRIES = 100
VERSION_KEY = "tablespec.version"
# Delta's default for delta.deletedFileRetentionDuration when a table does not set it: one week.
DEFAULT_DELETED_FILE_RETENTION = 7 * 24 * 3600
RETENTION_PROPERTY = "delta.deletedFileRetentionDuration"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# deltalake's CommitFailedError text when its own commit retries ran out.
_EXHAUSTED = re.compile(r"Failed to commit transaction: \d+")
# deltalake reports bad rows as generic DeltaErrors; these phrases tell them from storage failures.
_DATA_ERRORS = ("failed validation check", "Invalid data found", "Cast error", "multiple source rows")


@dataclass(frozen=True)
class AppTransaction:
    """An application's progress marker committed atomically with a write (Delta ``txn`` action).

    Loads record, per source, the highest version they committed; a re-run that finds its marker
    knows the write already happened (exactly-once loads).
    """

    app_id: str
    version: int

    def to_delta(self) -> Any:
        from deltalake import Transaction

        return Transaction(app_id=self.app_id, version=self.version)


def commit_properties(
    commit_metadata: Mapping[str, Any] | None = None,
    app_transactions: Iterable[AppTransaction | Any] | None = None,
) -> Any:
    """The single place that builds every commit's properties: tablespec's version plus the
    caller's metadata in ``commitInfo``, app transactions, and the retry budget."""
    from deltalake import CommitProperties

    metadata: dict[str, Any] = {VERSION_KEY: __version__}
    for key, value in (commit_metadata or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"commit metadata keys must be strings, not {key!r}")
        metadata[key] = value
    txns = [t.to_delta() if isinstance(t, AppTransaction) else t for t in (app_transactions or ())]
    return CommitProperties(
        custom_metadata=metadata,
        max_commit_retries=MAX_COMMIT_RETRIES,
        app_transactions=txns or None,
    )


# --- SQL text ----------------------------------------------------------------------------------


def quote(name: str) -> str:
    """A column name as a SQL identifier: backticks, with embedded backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


def literal(value: Any) -> str:
    """A Python value as a SQL literal; strings are quoted with embedded quotes doubled."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot use {value!r} as a partition value")
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"cannot use {type(value).__name__} {value!r} as a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def resolve_columns(names: Sequence[str], available: Sequence[str], *, what: str) -> list[str]:
    """``names`` spelled as the table spells them; Delta column names compare case-insensitively."""
    by_lower = {name.lower(): name for name in available}
    unknown = [name for name in names if name.lower() not in by_lower]
    if unknown:
        raise SchemaMismatch(
            f"{what} {', '.join(unknown)} not in the table (columns: {', '.join(available)})",
            missing=tuple(unknown),
        )
    return [by_lower[name.lower()] for name in names]


def partition_predicate(alias: str, partition_values: Mapping[str, Sequence[Any]]) -> str:
    """``alias.`dt` IN ('2024-01-01', ...)`` per column, AND-ed; None matches the null partition."""
    clauses = []
    for column, values in partition_values.items():
        values = list(values)
        if not values:
            raise ValueError(f"partition_values[{column!r}] is empty: the merge would touch nothing")
        ident = f"{alias}.{quote(column)}"
        present = [v for v in values if v is not None]
        parts = [f"{ident} IN ({', '.join(literal(v) for v in present)})"] if present else []
        if len(present) < len(values):
            parts.append(f"{ident} IS NULL")
        clauses.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses)


def merge_predicate(keys: Sequence[str], partition_filter: str = "") -> str:
    """``t.`k` = s.`k` AND ...``: keys come from the schema, never from data, and are quoted."""
    parts = [f"t.{quote(k)} = s.{quote(k)}" for k in keys]
    if partition_filter:
        parts.append(partition_filter)
    return " AND ".join(parts)


# --- retention ---------------------------------------------------------------------------------


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
        return DEFAULT_DELETED_FILE_RETENTION
    try:
        return parse_duration(text)
    except ValueError:
        # An unreadable value must not shorten retention: fall back to the default.
        return DEFAULT_DELETED_FILE_RETENTION


# --- errors ------------------------------------------------------------------------------------


def clean(text: str, secrets: Iterable[str] = ()) -> str:
    """An error text fit to show: colour codes gone, secrets redacted, at most a few lines."""
    text = _ANSI.sub("", text).replace("↳", "->")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = "\n  ".join(lines[:12])
    return redact(text, list(secrets) + _env_secrets())


def _env_secrets() -> list[str]:
    import os

    return [v for k, v in os.environ.items() if is_secret_key(k) and v and len(v) >= 4]


def option_secrets(storage_options: Mapping[str, str]) -> list[str]:
    return [v for k, v in storage_options.items() if is_secret_key(k) and v and len(v) >= 4]


def is_retryable_conflict(error: BaseException | None) -> bool:
    """A logical commit conflict (not deltalake running out of its own retries)."""
    from deltalake.exceptions import CommitFailedError

    return isinstance(error, CommitFailedError) and not _EXHAUSTED.fullmatch(str(error).strip())


def translate(
    error: BaseException,
    *,
    table: str,
    uri: str,
    operation: str,
    secrets: Iterable[str] = (),
) -> TablespecError:
    """tablespec's error for a deltalake / object-store failure: which table, what, and why."""
    from deltalake.exceptions import CommitFailedError, SchemaMismatchError, TableNotFoundError

    cause = clean(str(error) or type(error).__name__, secrets)
    where = table if table == uri else f"{table} ({uri})"
    message = f"{operation} on table {where} failed: {cause}"
    if isinstance(error, TableNotFoundError):
        return TableNotFound(f"table {where} does not exist: {cause}", table=table, uri=uri)
    if isinstance(error, CommitFailedError):
        if _EXHAUSTED.fullmatch(str(error).strip()):
            message = (
                f"{operation} on table {where} failed: other writers kept committing first "
                f"({MAX_COMMIT_RETRIES} attempts)"
            )
        return ConcurrentModification(
            message, table=table, uri=uri, hint="another writer changed the table at the same time; run again"
        )
    if isinstance(error, SchemaMismatchError):
        return SchemaMismatch(message)
    text = str(error)
    if any(marker in text for marker in _DATA_ERRORS):
        return DataError(message, hint="rows must satisfy the table's NOT NULL columns and CHECK constraints")
    hint = ""
    if uri.startswith(("s3://", "s3a://")):
        hint = "check AWS_ENDPOINT_URL, AWS_REGION and the credentials, and that the bucket exists"
    return StorageError(message, table=table, uri=uri, hint=hint)


# --- arguments -------------------------------------------------------------------------------


def checked_properties(properties: Mapping[str, str]) -> dict[str, str]:
    props = dict(properties)
    for key, value in props.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"table properties are strings; got {key!r}: {value!r}")
        if key.startswith("delta.constraints."):
            raise ValueError(f"{key}: set CHECK constraints with add_constraint, not as a property")
    return props


def only_delta_keys(props: Mapping[str, str]) -> bool:
    """deltalake rejects unknown keys only all-or-nothing; custom keys (``owner``) must pass, so the
    check is kept only when every key is a ``delta.`` one, where a typo is worth an error."""
    return all(key.startswith("delta.") for key in props)


def check_choice(argument: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{argument} must be one of {', '.join(allowed)}, not {value!r}")


def partition_values(
    values: Mapping[str, Sequence[Any]] | None, partition_columns: Sequence[str]
) -> dict[str, list[Any]]:
    if not values:
        return {}
    names = resolve_columns(list(values), list(partition_columns), what="partition column(s)")
    out: dict[str, list[Any]] = {}
    for name, given in zip(names, values.values(), strict=True):
        if isinstance(given, (str, bytes)):
            raise TypeError(f"partition_values[{name!r}] must be a list of values, not a single string")
        out[name] = list(given)
    return out
