"""Handles and errors under :class:`tablespec.delta.table.DeltaTable`: how a table is opened, refreshed
and reached as a filesystem, and how whatever deltalake raises becomes a tablespec error.

The one answer to "is there a table here, and why not" (:func:`missing_table`): ``plan`` (which
treats an absent table as a state), ``show``/``history``/``read``/``import`` (for which it is an
error) and the library all ask it, so they agree — they once did not on a bare ``_delta_log/``.
Split from ``table.py`` so that module holds the table operations only.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from tablespec.delta.conform import Conformed, input_error
from tablespec.delta.log import Listing, list_log
from tablespec.delta.store import table_filesystem
from tablespec.delta.translate import is_retryable_conflict, option_secrets, translate
from tablespec.errors import (
    ConcurrentModification,
    NoSuchVersion,
    NotADeltaTable,
    StorageError,
    TableNotFound,
    TablespecError,
)

if TYPE_CHECKING:
    import deltalake
    import pyarrow.fs

    # What the layers above annotate a deltalake table handle with (they never import deltalake).
    RawTable = deltalake.DeltaTable


T = TypeVar("T")
# Whole-operation attempts after a logical conflict (each commit also has deltalake's own retries).
_ATTEMPTS = 5


class TableHandle:
    """Where a table lives and how to talk to it; no table operations."""

    def __init__(
        self, uri: str | os.PathLike[str], storage_options: dict[str, str] | None = None, *, name: str | None = None
    ) -> None:
        self.uri = os.fspath(uri)
        self.name = name or self.uri
        if storage_options is None:
            from tablespec.config import load_config

            storage_options = load_config().storage_options(self.uri)
        from tablespec.config import is_remote, with_client_defaults

        # a store that never answers gives up in seconds, not minutes (config.CLIENT_DEFAULTS)
        self.storage_options = with_client_defaults(storage_options) if is_remote(self.uri) else dict(storage_options)
        self._handle: deltalake.DeltaTable | None = None
        self._secrets = option_secrets(self.storage_options)

    def __repr__(self) -> str:
        return f"DeltaTable({self.uri!r}, name={self.name!r})"

    # --- errors and handles ----------------------------------------------------------------

    @contextmanager
    def _errors(self, operation: str, feed: Conformed | None = None, *, keys: Sequence[str] = ()) -> Iterator[None]:
        """Translate whatever deltalake raises inside the block; input errors win over their echo."""
        import pyarrow as pa
        from deltalake.exceptions import DeltaError

        try:
            yield
        except TablespecError:
            raise
        except BaseException as e:
            # pyo3's PanicException derives from BaseException: a Rust panic must still become
            # a tablespec error, while KeyboardInterrupt and friends pass through untouched.
            panic = type(e).__name__ == "PanicException"
            if not (panic or isinstance(e, (DeltaError, OSError, pa.ArrowException, RuntimeError))):
                raise
            if feed is not None and feed.error is not None:
                raise input_error(feed.error, f"{operation} on table {self.name}") from feed.error
            raise translate(e, table=self.name, uri=self.uri, operation=operation, secrets=self._secrets,
                            keys=keys) from e

    def translating(self, operation: str) -> contextlib.AbstractContextManager[None]:
        """A block whose deltalake errors become tablespec errors naming this table (for the
        layers above that read a raw handle, e.g. the planner's observe)."""
        return self._errors(operation)

    def _retrying(self, run: Callable[[], T], *, replayable: bool = True) -> T:
        """``run()``, again on a fresh snapshot when a concurrent commit conflicted with it.

        deltalake retries a commit itself only while nothing it read has changed. It gives up at
        once when another writer's commit conflicts logically, and it treats even a plain append
        as having read the table: an append racing a merge fails with "a concurrent transaction
        deleted data this operation read", which Delta's blind-append rule would allow. Redoing
        the whole operation on the new snapshot is what the caller would do anyway; it is only
        possible when the input can be read again (not a RecordBatchReader). A failed attempt
        leaves its unreferenced data files behind, as any failed Delta write does.
        """
        for attempt in range(_ATTEMPTS):
            try:
                return run()
            except ConcurrentModification as e:
                if not (replayable and is_retryable_conflict(e.__cause__)) or attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.02, 0.2) * (attempt + 1))
        raise AssertionError("unreachable")

    def _not_a_file(self) -> None:
        """A local location that is a plain file (a CSV, a typo'd path) is no table and never can
        be one: say so, rather than deltalake's "Path does not exist"."""
        from tablespec.config import is_remote, local_path

        if not is_remote(self.uri) and local_path(self.uri).is_file():
            raise NotADeltaTable(
                f"{self.uri} is a file, not a Delta table (table {self.name})", table=self.name, uri=self.uri,
                hint="a table's location is a folder (holding _delta_log/); point location at a folder",
            )

    def _open(self, version: int | None = None) -> deltalake.DeltaTable:
        from deltalake import DeltaTable as _Delta
        from deltalake.exceptions import TableNotFoundError

        self._not_a_file()
        try:
            return _Delta(self.uri, version=version, storage_options=self.storage_options or None)
        except TableNotFoundError as e:
            raise missing_table(self._fs(), self.uri, self.name) from e

    def _fs(self) -> pyarrow.fs.FileSystem:
        """The table's folder as a pyarrow filesystem, reached with deltalake's own object store."""
        return table_filesystem(self.uri, self.storage_options)

    def raw(self) -> deltalake.DeltaTable:
        """The underlying deltalake table at its latest version (loaded once, then refreshed)."""
        with self._errors("open"):
            if self._handle is None:
                self._handle = self._open()
            else:
                self._handle.update_incremental()
        return self._handle


def holds_other_files(fs: pyarrow.fs.FileSystem) -> bool:
    """Whether the folder holds anything besides ``_delta_log/``.

    A bare ``_delta_log/`` is a table another writer is creating right now (its first commit not
    yet visible): that is "absent", not "holds files but no Delta log".
    """
    import pyarrow.fs as pafs

    try:
        entries = fs.get_file_info(pafs.FileSelector("", allow_not_found=True))
    except Exception:  # noqa: BLE001 - the caller reports "not found" either way
        return False
    return any(entry.base_name != "_delta_log" for entry in entries)


def missing_table(fs: pyarrow.fs.FileSystem, uri: str, name: str, *, hints: bool = False) -> TablespecError:
    """Why there is no Delta table at ``uri``: NotADeltaTable when the folder holds other files,
    else TableNotFound (nothing there, or only a bare ``_delta_log/``). ``hints``: say what to do
    (for the commands that need a table, where its absence is an error)."""
    if holds_other_files(fs):
        return NotADeltaTable(
            f"{uri} holds files but no Delta log (table {name})", table=name, uri=uri,
            hint="tablespec import and show need a Delta table, not plain Parquet or CSV files" if hints else "",
        )
    return TableNotFound(
        f"table {name} does not exist at {uri}", table=name, uri=uri,
        hint="check the location, or create the table with `tablespec apply`" if hints else "",
    )


# --- opening a table by URI (show, history, read, import) ---------------------------------------


def open_table(uri: str, storage_options: Mapping[str, str] | None, *, version: int | None = None,
               name: str | None = None) -> deltalake.DeltaTable:
    """A ``deltalake.DeltaTable`` at ``uri`` (at ``version`` when given), or a clear error:
    TableNotFound / NotADeltaTable for a location without a table, NoSuchVersion for a
    version the log no longer (or never) holds."""
    from deltalake import DeltaTable as _Delta

    label = name or uri
    fs = reach(uri, storage_options, label)
    listing = read_listing(fs, uri, label)
    if version is not None:
        check_version(listing, version, label)
    try:
        return _Delta(uri, version=version, storage_options=dict(storage_options) if storage_options else None)
    except Exception as e:  # deltalake raises DeltaError, TableNotFoundError, OSError, plain Exception
        raise StorageError(f"cannot open table {label}: {e}", table=name or "", uri=uri) from e


def reach(uri: str, storage_options: Mapping[str, str] | None, label: str) -> Any:
    try:
        return table_filesystem(uri, storage_options)
    except Exception as e:
        if "does not exist" in str(e):
            raise TableNotFound(f"table {label} does not exist: nothing at {uri}", uri=uri,
                                hint="check the location, or create the table with `tablespec apply`") from e
        raise StorageError(f"cannot reach {uri}: {e}", uri=uri) from e


def read_listing(fs: Any, uri: str, label: str) -> Listing:
    try:
        listing = list_log(fs)
    except Exception as e:
        raise StorageError(f"cannot list the Delta log of {label} at {uri}: {e}", uri=uri) from e
    if listing.latest is None:
        raise missing_table(fs, uri, label, hints=True)
    return listing


def check_version(listing: Listing, version: int, label: str) -> None:
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
