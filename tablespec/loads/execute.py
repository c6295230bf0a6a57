"""Run one :class:`~tablespec.model.actions.LoadSource` action, exactly once per file content.

Commit granularity (docs/loads.md):

* ``append`` — all pending files in ONE commit carrying two app transactions per file (content and
  path, ``tablespec.planning.exactly_once``). The load is atomic: every pending file is in the table or none
  is, and a bad file anywhere leaves the table untouched.
* ``merge`` — one commit per file, in path order, so a later file's rows win over an earlier
  file's. A bad file stops the load there; files before it stay loaded (and recorded).
* ``overwrite`` — one commit replacing the table's rows with all the source's files, recording
  the digest of them all together.
* ``create`` — one commit with the seed files, switching the ``seed`` marker the create commit
  wrote (version 0, :func:`seed_transactions`) to 1.

Before loading, each pending file is hashed again and the table's app transactions are read again:
a file someone changed after planning is loaded under its new digest, and a file a concurrent or
crashed-then-resumed apply already committed is skipped. Two appliers racing on the same file both
carry the same app id: Delta's conflict check refuses the second commit, which then finds the file
loaded and skips it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tablespec.delta.arrow import arrow_field
from tablespec.delta.commit import AppTransaction
from tablespec.delta.log import txns_since
from tablespec.errors import ConcurrentModification, DataError, TablespecError
from tablespec.loads import merge_prep as loadmerge
from tablespec.model.actions import LoadSource
from tablespec.model.report import LoadOutcome
from tablespec.model.spec import SourceSpec, TableSpec
from tablespec.model.state import SourceFile
from tablespec.planning import exactly_once as loadplan
from tablespec.sources.discover import describe
from tablespec.sources.read import open_stream

if TYPE_CHECKING:
    from tablespec.delta.table import DeltaTable

COMMIT_ATTEMPTS = 8


@dataclass(frozen=True)
class LoadProgress:
    """Handed to ``progress`` after every batch and when a file is done; drives a progress bar."""

    source: str
    path: str
    file_index: int  # 1-based, among the files this load commits
    file_count: int
    rows: int  # rows read from this file so far
    bytes: int  # this file's size
    done: bool


Progress = Callable[[LoadProgress], None]
# (files, app id -> version or None) -> whether those files count as loaded
Loaded = Callable[[Sequence[SourceFile], Callable[[str], "int | None"]], bool]


def seed_transactions(spec: TableSpec) -> list[AppTransaction]:
    """App transactions the create commit must carry: ``seed`` -> 0 for each ``create`` source, so the
    seed load (which sets it to 1) happens once even if apply dies between the two commits."""
    return [AppTransaction(loadplan.seed_app_id(s), 0) for s in spec.sources if s.mode == "create"]


def execute_load(
    table: DeltaTable,
    spec: TableSpec,
    action: LoadSource,
    *,
    commit_metadata: Mapping[str, Any],
    progress: Progress | None = None,
    storage_options: Mapping[str, str],
) -> LoadOutcome:
    """Load the action's pending files into ``table``; see the module docstring for commits.

    ``storage_options`` reach the *source* files (``Config.storage_options`` of the source's URI,
    derived by the caller, never invented here); the table brings its own. Raises :class:`DataError` for bad data (nothing of that file is
    written), and the table's errors for storage failures.
    """
    source = next((s for s in spec.sources if s.name == action.source), None)
    if source is None:
        raise TablespecError(f"table {spec.name} has no source {action.source!r}")
    options = dict(storage_options)
    run = _Run(table, spec, source, dict(commit_metadata), progress, options)
    planned = [p.file for p in action.pending]
    if planned:
        {"append": run.append, "merge": run.merge, "overwrite": run.overwrite, "create": run.create}[source.mode](
            planned
        )
    return LoadOutcome(
        source=source.name, files=run.files, rows_read=run.rows_read, inserted=run.inserted, updated=run.updated,
        deleted=run.deleted, seconds=round(time.monotonic() - run.started, 3), version=run.version,
        skipped=run.skipped, orphaned_files=run.orphaned,
        expectations=tuple((e.name, e.on_fail, run.expectations.get(e.name, 0))
                           for e in spec.expectations if e.on_fail != "fail"),
    )  # fmt: skip


class _Run:
    """One execute_load call: counters, and one method per mode."""

    def __init__(self, table: DeltaTable, spec: TableSpec, source: SourceSpec, metadata: dict[str, Any],
                 progress: Progress | None, storage_options: dict[str, str]) -> None:  # fmt: skip
        self.table, self.spec, self.source = table, spec, source
        # Markers are read through a handle of our own: refreshing the writer's handle in the middle
        # of its write would move the snapshot the write is based on.
        self.markers = type(table)(table.uri, table.storage_options, name=table.name)
        self.metadata = {**metadata, "tablespec.source": source.name}
        self.progress, self.storage_options = progress, storage_options
        self.merge_position = (1, 1)  # (file, files) of the merge commit under way
        # generated columns are not in the data: delta-rs computes them on write
        self.schema = pa.schema([arrow_field(c.name, c.type, nullable=c.nullable)
                                 for c in spec.columns if not c.generated])  # fmt: skip
        self.started = time.monotonic()
        self.files = self.rows_read = self.inserted = self.updated = self.deleted = self.skipped = self.orphaned = 0
        self.version: int | None = None
        self.expectations: dict[str, int] = {}  # rows that failed each drop/warn expectation, committed loads
        self.committed: list[str] = []  # merge: the files committed so far by this load, in order

    # --- modes ------------------------------------------------------------------------------

    def append(self, planned: Sequence[SourceFile]) -> None:
        files = self._not_loaded(self._fresh(planned))
        if files:
            done = self._commit(files, lambda data, files: self.table.append(
                data, commit_metadata=self.metadata, app_transactions=self._file_txns(files)),
                loaded=self._any_loaded)  # fmt: skip
            if done is not None:
                self.inserted += done[1].rows

    def merge(self, planned: Sequence[SourceFile]) -> None:
        merge = self.source.merge
        if merge is None:
            raise TablespecError(f"source {self.source.name!r} has mode merge but no merge: settings")
        for index, file in enumerate(planned, 1):  # path order: a later file's rows win
            try:
                self._merge_one(merge, file, index, len(planned))
            except DataError as e:
                if not self.committed:
                    raise
                raise _partly_loaded(e, self.committed, [f.path for f in planned[index - 1 :]], self.version) from e

    def _merge_one(self, merge: Any, file: SourceFile, index: int, count: int) -> None:
        """One file of a merge load: one commit (or none when another writer loaded it)."""
        self.merge_position = (index, count)  # one commit per file: say which, for progress
        files = self._not_loaded(self._fresh([file]))
        if not files:
            return
        prepared = loadmerge.prepare(self.table, self.spec, self.source, files[0],
                                     storage_options=self.storage_options,
                                     on_rows=self._on_rows(files[0], index, count))  # fmt: skip
        done = self._commit(files, lambda data, files, prepared=prepared: self.table.merge(  # type: ignore[misc]
            data, keys=prepared.keys, when_matched=merge.when_matched, when_not_matched=merge.when_not_matched,
            when_not_matched_by_source=merge.when_not_matched_by_source,
            partition_values=prepared.partition_values, commit_metadata=self.metadata,
            app_transactions=self._file_txns(files)), loaded=self._any_loaded, prepared=prepared)  # fmt: skip
        if done is not None:
            self.inserted += done[0].inserted
            self.updated += done[0].updated
            self.deleted += done[0].deleted
            if not self._any_loaded(files, self._markers()[1]):
                self._record_only(files)
            self.committed.append(file.path)

    def overwrite(self, planned: Sequence[SourceFile]) -> None:
        files = self._fresh(planned)
        txn = AppTransaction(loadplan.overwrite_app_id(self.source),
                             loadplan.digest_version(loadplan.combined_digest(files)))  # fmt: skip
        if self._markers()[1](txn.app_id) == txn.version:
            self.skipped += len(files)
            return
        before = self._row_count()
        done = self._commit(files, lambda data, files: self.table.overwrite(
            data, commit_metadata=self.metadata, app_transactions=[txn]),
            loaded=lambda files, get: get(txn.app_id) == txn.version)  # fmt: skip
        if done is not None:
            self.inserted += done[1].rows
            self.deleted += before

    def create(self, planned: Sequence[SourceFile]) -> None:
        app_id = loadplan.seed_app_id(self.source)
        if self._markers()[1](app_id) != 0:
            self.skipped += len(planned)  # seeded already, or a table tablespec did not create (no marker)
            return
        files = self._fresh(planned)
        txns = [AppTransaction(app_id, 1), *self._file_txns(files)]
        done = self._commit(files, lambda data, files: self.table.append(
            data, commit_metadata=self.metadata, app_transactions=txns),
            loaded=lambda files, get: get(app_id) == 1)  # fmt: skip
        if done is not None:
            self.inserted += done[1].rows

    # --- one commit -------------------------------------------------------------------------

    def _commit(self, files: list[SourceFile], write: Callable[[Any, list[SourceFile]], Any], *,
                loaded: Loaded, prepared: loadmerge.Prepared | None = None) -> tuple[Any, _Feed] | None:  # fmt: skip
        """Feed ``files`` to ``write`` — one commit — exactly once, even against a concurrent apply.

        Every attempt notes the log version ``base``, then reads the markers. When the writer
        first pulls data it already holds the snapshot its commit is based on (a writer needs the
        table's schema before it reads its input), so the stream reads the commits after ``base``
        and stops the write if one loaded these files. Any commit after the writer's snapshot that
        loads them carries the same app ids, and Delta's conflict check refuses to commit those
        twice. On a conflict the markers are read again: files loaded by the other writer drop out,
        and the write is redone with the rest on the new snapshot (files can be read again, unlike
        the stream deltalake consumed).
        """
        for attempt in range(COMMIT_ATTEMPTS):
            base, get = self._markers()
            remaining = [f for f in files if not loaded([f], get)]
            self.skipped += len(files) - len(remaining)
            files = remaining
            if not files:
                return None
            feed = _Feed(self, files, prepared, lambda files=files, base=base: self._loaded_since(base, files, loaded))  # type: ignore[misc]
            started = time.time()
            try:
                result = write(feed.data(), files)
            except TablespecError as e:
                if isinstance(e, ConcurrentModification) and not isinstance(feed.error, _AlreadyLoaded):
                    self._count_orphans(started)
                if isinstance(feed.error, _AlreadyLoaded) or (
                    isinstance(e, ConcurrentModification) and attempt < COMMIT_ATTEMPTS - 1
                ):
                    time.sleep(random.uniform(0.02, 0.2) * attempt)
                    continue
                if feed.error is not None and feed.error is not e:
                    raise feed.error from None  # deltalake reports a stream's exception only as text
                raise
            self.rows_read += feed.rows_read
            for name, rows in feed.expectations.items():
                self.expectations[name] = self.expectations.get(name, 0) + rows
            self.version = result.version
            self.files += len(files)
            return result, feed
        if all(loaded([f], self._markers()[1]) for f in files):
            self.skipped += len(files)
            return None
        raise ConcurrentModification(f"loading source {self.source.name!r} into {self.table.name} kept conflicting "
                                     f"with other writers ({COMMIT_ATTEMPTS} attempts)", table=self.table.name,
                                     uri=self.table.uri, hint="run apply again; files already loaded are skipped")  # fmt: skip

    def _count_orphans(self, since: float) -> None:
        """The data files our conflicting write left behind (it wrote them, then lost the commit).
        Counted by modification time: a file of another writer that failed at the same moment is
        counted too, as nothing in a data file says who wrote it. Vacuum removes them all."""
        # object stores keep whole-second modification times: a second of slack there. A local
        # folder's are fine (a kernel's coarse clock lags a few ms), and a second of slack would
        # count an earlier write's orphans as this one's
        slack = 1.0 if "://" in self.table.uri else 0.1
        try:
            self.orphaned += len(self.table.untracked_files(since=since - slack))
        except TablespecError:
            pass  # only the count is lost

    def _record_only(self, files: list[SourceFile]) -> None:
        """Record files as loaded in a commit of no rows. deltalake does not commit a merge that
        changes nothing (every key matched and ignored, or an empty file), so its app transactions
        would be lost and the file planned again forever. Not atomic with the merge, which is
        harmless: a merge that changed nothing can be run again."""
        empty = pa.RecordBatchReader.from_batches(self.schema, iter(()))
        metadata = {**self.metadata, "tablespec.note": "merge changed no rows; recording the files as loaded"}
        try:
            self.version = self.table.append(empty, commit_metadata=metadata,
                                             app_transactions=self._file_txns(files)).version  # fmt: skip
        except ConcurrentModification:
            if not self._any_loaded(files, self._markers()[1]):
                raise

    def _loaded_since(self, base: int, files: list[SourceFile], loaded: Loaded) -> bool:
        """Whether a commit after ``base`` loaded any of ``files``; runs inside the writer, where
        calling deltalake again would block its own runtime, so the log is read directly."""
        since = txns_since(self.table.uri, self.table.storage_options, base)
        return since is not None and loaded(files, since.get)

    def _any_loaded(self, files: Sequence[SourceFile], get: Callable[[str], int | None]) -> bool:
        return any(get(loadplan.content_app_id(self.source, f.digest)) is not None for f in files)

    def _fresh(self, planned: Sequence[SourceFile]) -> list[SourceFile]:
        """Each file as it is now: what gets loaded is what gets recorded, even if it changed since the plan."""
        return [describe(f.path, storage_options=self.storage_options) for f in planned]

    def _not_loaded(self, files: Sequence[SourceFile]) -> list[SourceFile]:
        get = self._markers()[1]
        todo, seen = [], set()
        for f in files:
            if f.digest in seen or get(loadplan.content_app_id(self.source, f.digest)) is not None:
                self.skipped += 1  # a resumed or concurrent apply committed it (or a copy of it)
            else:
                todo.append(f)
                seen.add(f.digest)
        return todo

    def _markers(self) -> tuple[int, Callable[[str], int | None]]:
        """The latest log version and a lookup of app transactions in that very snapshot (one
        refresh for any number of files, instead of one per lookup)."""
        handle = self.markers.raw()
        return handle.version(), handle.transaction_version

    def _file_txns(self, files: Sequence[SourceFile]) -> list[AppTransaction]:
        txns = []
        for f in files:
            txns.append(AppTransaction(loadplan.content_app_id(self.source, f.digest), 1))
            txns.append(AppTransaction(loadplan.path_app_id(self.source, f.path), loadplan.digest_version(f.digest)))
        return txns

    def _row_count(self) -> int:
        try:
            return int(self.table.raw().count())
        except Exception:  # noqa: BLE001 - only the summary's count is lost
            return 0

    def _on_rows(self, file: SourceFile, index: int, count: int) -> Callable[[int], None] | None:
        if self.progress is None:
            return None
        seen = [0]
        progress = self.progress

        def on_rows(n: int) -> None:
            seen[0] += n
            progress(LoadProgress(self.source.name, file.path, index, count, seen[0], file.size, False))

        return on_rows

    def _done(self, file: SourceFile, index: int, count: int, rows: int) -> None:
        if self.progress is not None:
            self.progress(LoadProgress(self.source.name, file.path, index, count, rows, file.size, True))


class _Feed:
    """The data of one commit: the files streamed one after another, or a merge file read whole.

    Keeps the first :class:`DataError` the stream raised, because deltalake reports an exception
    raised inside a reader only as text in its own error.
    """

    def __init__(self, run: _Run, files: Sequence[SourceFile], prepared: loadmerge.Prepared | None,
                 already: Callable[[], bool]) -> None:  # fmt: skip
        self.run, self.files, self.prepared, self.already = run, list(files), prepared, already
        self.rows = self.rows_read = 0  # rows written; rows read (with dropped duplicates)
        self.expectations: dict[str, int] = {}  # drop/warn expectation counts of this attempt
        self.error: DataError | _AlreadyLoaded | None = None

    def data(self) -> _OneShot | pa.RecordBatchReader:
        prepared = self.prepared
        if prepared is not None and prepared.data is not None:
            self.rows, self.rows_read = prepared.data.num_rows, prepared.rows_read
            self.expectations = dict(prepared.expectations)
            self.run._done(self.files[0], *self.run.merge_position, prepared.rows_read)
            return _OneShot(self, prepared.data)
        return pa.RecordBatchReader.from_batches(self.run.schema, self._batches())

    def first_pull(self) -> None:
        """Runs when the writer first asks for data (it holds its snapshot by then)."""
        if self.already():
            self.error = _AlreadyLoaded()
            raise self.error

    def _batches(self) -> Iterator[pa.RecordBatch]:
        run = self.run
        drop = self.prepared.drop_rows if self.prepared is not None else []
        self.first_pull()
        try:
            for index, file in enumerate(self.files, 1):
                stream = open_stream(run.source, file, run.spec, storage_options=run.storage_options,
                                     drop_rows=drop, on_rows=run._on_rows(file, index, len(self.files)))  # fmt: skip
                yield from stream.batches()
                for name, rows in stream.expectations.items():
                    self.expectations[name] = self.expectations.get(name, 0) + rows
                self.rows += stream.rows_written
                self.rows_read += stream.rows_read + len(drop)
                run._done(file, index, len(self.files), stream.rows_read)
        except DataError as e:
            self.error = e
            raise


def _partly_loaded(error: DataError, committed: Sequence[str], left: Sequence[str], version: int | None) -> DataError:
    """A merge load stopped by a later file: the earlier files are in the table (one commit each,
    docs/loads.md), so "nothing was written" would be wrong. Say what is in and what is not."""
    names = ", ".join(os.path.basename(p) for p in committed)
    rest = ", ".join(os.path.basename(p) for p in left)
    hint = (f"{len(committed)} earlier file(s) were committed (up to version {version}): {names}; "
            f"not loaded: {rest}. Fix {os.path.basename(left[0])} and apply again: committed files are skipped")
    base = error.hint.replace("; nothing was written", "").replace("nothing was written", "").strip("; ")
    message = error.message.replace("nothing was written", f"nothing of {os.path.basename(left[0])} was written")
    return DataError(message, file=error.file, column=error.column, rows=error.rows,
                     hint=f"{base}; {hint}" if base else hint)


class _AlreadyLoaded(Exception):
    """Raised inside a write's input: another apply committed (some of) these files first."""


class _OneShot:
    """An in-memory table handed to the table as a plain Arrow stream (``__arrow_c_stream__``).

    Why not the ``pa.Table`` itself: ``tablespec.DeltaTable`` redoes a write whose input it can
    read again when a concurrent commit conflicts, without looking at app transactions. A write
    that records a file as loaded must not be redone blindly — the other writer may have loaded
    that very file — so this load redoes it itself, after checking the markers (``_Run._commit``).
    The stream checks the markers at its first pull, like a file stream (:meth:`_Feed.first_pull`).
    """

    def __init__(self, feed: _Feed, table: pa.Table) -> None:
        self.feed, self.table = feed, table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        def batches() -> Iterator[pa.RecordBatch]:
            self.feed.first_pull()
            yield from self.table.to_batches()

        reader = pa.RecordBatchReader.from_batches(self.table.schema, batches())
        return reader.__arrow_c_stream__(requested_schema)
