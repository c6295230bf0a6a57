"""deltalake and object-store failures -> tablespec errors: which table, what, and why.

The one mapping every operation shares (``DeltaTable._errors`` and the rewrite use it), so an
error names its table and location the same way everywhere and never shows a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence

from tablespec.config import redact, secret_values
from tablespec.delta.commit import MAX_COMMIT_RETRIES
from tablespec.errors import (
    ConcurrentModification,
    DataError,
    SchemaMismatch,
    StorageError,
    TableNotFound,
    TablespecError,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# deltalake's CommitFailedError text when its own commit retries ran out.
_EXHAUSTED = re.compile(r"Failed to commit transaction: \d+")
# deltalake reports bad rows as generic DeltaErrors; these phrases tell them from storage failures.
_DATA_ERRORS = ("failed validation check", "Invalid data found", "Cast error", "multiple source rows")


def clean(text: str, secrets: Iterable[str] = ()) -> str:
    """An error text fit to show: colour codes gone, secrets redacted, at most a few lines."""
    text = _ANSI.sub("", text).replace("↳", "->")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = "\n  ".join(lines[:12])
    return redact(text, list(secrets) + _env_secrets())


def _env_secrets() -> list[str]:
    return secret_values(os.environ)


def option_secrets(storage_options: Mapping[str, str]) -> list[str]:
    """The secrets among a table's storage options (redacted from every error about it)."""
    return secret_values(storage_options)


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
    keys: Sequence[str] = (),
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
    if "multiple source rows" in text:  # a MERGE whose source repeats a key
        on = f" ({', '.join(keys)})" if keys else ""
        return DataError(message, hint=f"the merge source holds more than one row for the same key{on}: keep one "
                         "row per key (a source's options: {dedupe: last} keeps each key's last row)")
    if any(marker in text for marker in _DATA_ERRORS):
        return DataError(message, hint="rows must satisfy the table's NOT NULL columns and CHECK constraints")
    hint = ""
    if uri.startswith(("s3://", "s3a://")) and ("timed out" in text or "operation timed out" in text):
        hint = ("the store accepted the connection but did not answer in time: check AWS_ENDPOINT_URL; on a slow "
                "store raise timeout / retry_timeout under storage: in tablespec.yaml (docs/s3.md)")
    elif uri.startswith(("s3://", "s3a://")):
        hint = "check AWS_ENDPOINT_URL, AWS_REGION and the credentials, and that the bucket exists"
    return StorageError(message, table=table, uri=uri, hint=hint)
