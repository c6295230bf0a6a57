"""Handles and errors under :class:`tablespec.table.DeltaTable`: how a table is opened, refreshed
and reached as a filesystem, and how whatever deltalake raises becomes a tablespec error.

Split from ``table.py`` so that module holds the table operations only.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from tablespec import _deltaops as ops
from tablespec._deltadata import Conformed, input_error
from tablespec.errors import ConcurrentModification, NotADeltaTable, TableNotFound, TablespecError

if TYPE_CHECKING:
    import deltalake
    import pyarrow.fs


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
        self.storage_options = dict(storage_options)
        self._handle: deltalake.DeltaTable | None = None
        self._secrets = ops.option_secrets(self.storage_options)

    def __repr__(self) -> str:
        return f"DeltaTable({self.uri!r}, name={self.name!r})"

    # --- errors and handles ----------------------------------------------------------------

    @contextmanager
    def _errors(self, operation: str, feed: Conformed | None = None) -> Iterator[None]:
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
            raise ops.translate(e, table=self.name, uri=self.uri, operation=operation, secrets=self._secrets) from e

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
                if not (replayable and ops.is_retryable_conflict(e.__cause__)) or attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0.02, 0.2) * (attempt + 1))
        raise AssertionError("unreachable")

    def _open(self, version: int | None = None) -> deltalake.DeltaTable:
        from deltalake import DeltaTable as _Delta
        from deltalake.exceptions import TableNotFoundError

        try:
            return _Delta(self.uri, version=version, storage_options=self.storage_options or None)
        except TableNotFoundError as e:
            if self._holds_files():
                raise NotADeltaTable(
                    f"{self.uri} holds files but no Delta log (table {self.name})", table=self.name, uri=self.uri
                ) from e
            raise TableNotFound(f"table {self.name} does not exist at {self.uri}", table=self.name, uri=self.uri) from e

    def _holds_files(self) -> bool:
        import pyarrow.fs as pafs

        try:
            entries = self._fs().get_file_info(pafs.FileSelector("", allow_not_found=True))
        except Exception:  # the caller reports "not found" either way
            return False
        # A bare `_delta_log/` is a table another writer is creating right now (its first commit
        # not yet visible): that is "absent", not "holds files but no Delta log".
        return any(entry.base_name != "_delta_log" for entry in entries)

    def _fs(self) -> pyarrow.fs.FileSystem:
        """The table's folder as a pyarrow filesystem, reached with deltalake's own object store."""
        import pyarrow.fs as pafs
        from deltalake.fs import DeltaStorageHandler

        return pafs.PyFileSystem(DeltaStorageHandler(self.uri, self.storage_options or None))

    def raw(self) -> deltalake.DeltaTable:
        """The underlying deltalake table at its latest version (loaded once, then refreshed)."""
        with self._errors("open"):
            if self._handle is None:
                self._handle = self._open()
            else:
                self._handle.update_incremental()
        return self._handle
