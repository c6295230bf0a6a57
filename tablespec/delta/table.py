"""``tablespec.DeltaTable``: a small, typed layer over deltalake's ``DeltaTable``.

Why a wrapper at all: every write must carry tablespec's commit metadata and a generous retry
budget (concurrent writers on S3), every deltalake error must become a tablespec error that names
the table and hides secrets, and data must be checked against the table's columns before anything
is written. One class keeps those rules in one place; the reconciler and library users share it.

Storage options default to the project configuration (``load_config().storage_options(uri)``), so
``DeltaTable("s3://lake/dev/orders")`` works with the same AWS_* variables as the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tablespec.delta import sql as ops
from tablespec.delta import upkeep
from tablespec.delta.alter import Metadata, TableAlterations
from tablespec.delta.commit import AppTransaction, CommitInfo, commit_properties
from tablespec.delta.conform import (
    arrow_schema,
    conform,
    delta_schema,
    is_replayable,
    is_streamed,
    partition_check,
    predicate_check,
    to_reader,
)
from tablespec.delta.constraints import constraint_configuration
from tablespec.delta.scan import scan_datafusion
from tablespec.delta.snapshots import SnapshotReader, relative
from tablespec.delta.sql import quote
from tablespec.delta.upkeep import OptimizeResult
from tablespec.delta.vacuum import VacuumResult, vacuum
from tablespec.errors import NoSuchVersion, Refused, TableExists
from tablespec.model.keys import CONSTRAINT_PREFIX

if TYPE_CHECKING:
    import deltalake
    import polars
    import pyarrow

__all__ = [
    "AppTransaction",
    "CommitInfo",
    "DeltaTable",
    "MergeResult",
    "NoSuchVersion",
    "TableExists",
    "VacuumResult",
    "WriteResult",
]

WhenMatched = Literal["update", "ignore", "delete"]
WhenNotMatched = Literal["insert", "ignore"]
WhenNotMatchedBySource = Literal["keep", "delete"]
Transactions = Sequence[AppTransaction] | None


@dataclass(frozen=True)
class WriteResult:
    version: int
    rows: int  # rows written, or -1 when not known


@dataclass(frozen=True)
class MergeResult:
    version: int
    inserted: int
    updated: int
    deleted: int
    source_rows: int


class DeltaTable(TableAlterations):
    """One Delta table at ``uri``; cheap to construct, touches storage only when used.

    ``DeltaTable(uri, storage_options=None, *, name=None)``: ``storage_options`` default to the
    project configuration's for ``uri``; ``name`` (default: the URI) is what error messages say.
    """

    # --- state -------------------------------------------------------------------------------

    def exists(self) -> bool:
        from deltalake import DeltaTable as _Delta

        self._not_a_file()
        with self._errors("check"):
            return bool(_Delta.is_deltatable(self.uri, self.storage_options or None))

    @property
    def version(self) -> int:
        return self.raw().version()

    @property
    def schema(self) -> pyarrow.Schema:
        """The current schema as arrow; column comments ride along as field metadata ``comment``."""
        return arrow_schema(self.raw())

    @property
    def properties(self) -> dict[str, str]:
        """Table properties, without the ``delta.constraints.*`` keys (those are :attr:`constraints`)."""
        return {k: v for k, v in self._configuration().items() if not k.startswith(CONSTRAINT_PREFIX)}

    def _configuration(self) -> dict[str, str]:
        return dict(self.raw().metadata().configuration)

    @property
    def partition_by(self) -> tuple[str, ...]:
        return tuple(self.raw().metadata().partition_columns)

    @property
    def description(self) -> str | None:
        return self.raw().metadata().description

    @property
    def constraints(self) -> dict[str, str]:
        prefix = CONSTRAINT_PREFIX
        return {k[len(prefix) :]: v for k, v in self._configuration().items() if k.startswith(prefix)}

    def app_transaction_version(self, app_id: str) -> int | None:
        return self.raw().transaction_version(app_id)

    def history(self, limit: int | None = None) -> tuple[CommitInfo, ...]:
        """Commits newest first (at most ``limit``), typed like the writes' results."""
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        handle = self.raw()
        with self._errors("history"):
            return tuple(CommitInfo.from_delta(info) for info in handle.history(limit))

    # --- create ------------------------------------------------------------------------------

    def create(
        self,
        schema: pyarrow.Schema | deltalake.Schema,
        *,
        partition_by: Sequence[str] = (),
        properties: Mapping[str, str] | None = None,
        description: str | None = None,
        constraints: Mapping[str, str] | None = None,
        name: str | None = None,
        commit_metadata: Metadata = None,
        app_transactions: Transactions = None,
    ) -> int:
        """Create the table in one commit and return its version (0). CHECK ``constraints`` are part
        of that commit, enforced from version 0; ``app_transactions`` ride on it too."""
        from deltalake import DeltaTable as _Delta

        schema_ = delta_schema(schema)
        columns = [f.name for f in schema_.fields]
        partitions = ops.resolve_columns(list(partition_by), columns, what="partition column(s)")
        props = ops.checked_properties(properties or {})
        if self.exists():
            raise TableExists(f"table {self.name} already exists at {self.uri}", table=self.name, uri=self.uri)
        strict = ops.only_delta_keys(props)
        if constraints:  # one commit: the CHECKs ride in the CREATE's metadata (how delta-rs stores them)
            with self._errors("create"):
                props = constraint_configuration(schema_, partitions, props, constraints, strict=strict)
            strict = False  # checked on the scratch table; deltalake cannot parse delta.constraints.* keys
        try:
            with self._errors("create"):
                self._handle = _Delta.create(
                    self.uri,
                    schema_,
                    mode="error",
                    partition_by=partitions or None,
                    name=name,
                    description=description,
                    configuration=props or None,
                    storage_options=self.storage_options or None,
                    # never retried: a create that lost the race for version 0 would otherwise be
                    # committed again as version 1, a second CREATE with a new table id (issue 13.2)
                    commit_properties=commit_properties(commit_metadata, app_transactions, max_retries=0),
                    raise_if_key_not_exists=strict,
                )
        except Exception as e:
            self._handle = None
            if self.exists():
                raise TableExists(f"table {self.name} was created at {self.uri} by another writer while this one "
                                  "was creating it", table=self.name, uri=self.uri,
                                  hint="plan again: the table exists now") from e  # fmt: skip
            raise
        return self.raw().version()

    # --- writes ------------------------------------------------------------------------------

    def append(
        self, data: Any, *, commit_metadata: Metadata = None, app_transactions: Transactions = None
    ) -> WriteResult:
        """Add rows. Columns match by name (case-insensitively); nullable columns may be left out."""
        return self._write("append", data, None, commit_metadata, app_transactions)

    def overwrite(
        self,
        data: Any,
        *,
        where: str | None = None,
        commit_metadata: Metadata = None,
        app_transactions: Transactions = None,
    ) -> WriteResult:
        """Replace all rows, or with ``where`` (a SQL predicate) only the rows it matches; every new
        row must then match it too (Delta's replaceWhere)."""
        return self._write("overwrite", data, where, commit_metadata, app_transactions)

    def _write(
        self, mode: Literal["append", "overwrite"], data: Any, where: str | None, metadata: Metadata, txns: Transactions
    ) -> WriteResult:
        from deltalake import write_deltalake

        def attempt() -> WriteResult:
            handle = self.raw()
            feed = conform(to_reader(data), arrow_schema(handle), fill_missing=True, check=predicate_check(where))
            with self._errors(mode, feed):
                write_deltalake(  # one call for both modes; deltalake types them apart
                    handle,
                    feed.reader,
                    mode=mode,  # type: ignore[arg-type]
                    predicate=where,
                    commit_properties=commit_properties(metadata, txns),
                )
            return WriteResult(version=handle.version(), rows=feed.rows)

        # A write carrying app transactions (exactly-once markers) is never redone here: after a
        # conflict the other writer may have loaded the same files; the loader re-plans instead.
        return self._retrying(attempt, replayable=is_replayable(data) and not txns)

    def merge(
        self,
        data: Any,
        *,
        keys: Sequence[str],
        when_matched: WhenMatched = "update",
        when_not_matched: WhenNotMatched = "insert",
        when_not_matched_by_source: WhenNotMatchedBySource = "keep",
        partition_values: Mapping[str, Sequence[Any]] | None = None,
        commit_metadata: Metadata = None,
        app_transactions: Transactions = None,
    ) -> MergeResult:
        """Upsert ``data`` on ``keys``. Updates and inserts touch only the columns ``data`` has.

        ``partition_values`` promises that the data lies in those partitions: the merge then reads
        and rewrites only them, by-source deletes stay inside them, and a row outside is an error.
        """
        ops.check_choice("when_matched", when_matched, ("update", "ignore", "delete"))
        ops.check_choice("when_not_matched", when_not_matched, ("insert", "ignore"))
        ops.check_choice("when_not_matched_by_source", when_not_matched_by_source, ("keep", "delete"))
        if (when_matched, when_not_matched, when_not_matched_by_source) == ("ignore", "ignore", "keep"):
            raise Refused(
                f"merge into {self.name} with when_matched=ignore, when_not_matched=ignore and "
                "when_not_matched_by_source=keep would change nothing",
                hint="choose at least one clause that updates, inserts or deletes",
            )
        keys = [keys] if isinstance(keys, str) else list(keys)
        if not keys:
            raise ValueError("merge needs at least one key column")
        clauses = (when_matched, when_not_matched, when_not_matched_by_source)
        return self._retrying(
            lambda: self._merge(data, keys, clauses, partition_values, commit_metadata, app_transactions),
            replayable=is_replayable(data) and not app_transactions,
        )

    def _merge(
        self,
        data: Any,
        keys: list[str],
        clauses: tuple[str, str, str],
        partition_values: Mapping[str, Sequence[Any]] | None,
        metadata: Metadata,
        txns: Transactions,
    ) -> MergeResult:
        when_matched, when_not_matched, when_not_matched_by_source = clauses
        handle = self.raw()
        target = arrow_schema(handle)
        keys = ops.resolve_columns(keys, target.names, what="merge key(s)")
        required = list(keys)
        if when_not_matched == "insert":
            required += [f.name for f in target if not f.nullable and f.name not in keys]
        parts = ops.partition_values(partition_values, handle.metadata().partition_columns)
        feed = conform(
            to_reader(data), target, fill_missing=False, required=tuple(required), check=partition_check(parts)
        )
        part_filter = ops.partition_predicate("t", parts) if parts else ""
        streamed = is_streamed(data)
        with self._errors("merge", feed, keys=keys):
            # In memory already: convert in Python now. deltalake reads a non-streamed source
            # eagerly and panics (instead of raising) when the stream fails, e.g. on a bad cast.
            source = feed.reader if streamed else feed.reader.read_all()
            merger = handle.merge(
                source,
                predicate=ops.merge_predicate(keys, part_filter),
                source_alias="s",
                target_alias="t",
                # Streaming keeps a large input out of memory; an in-memory one is better read in
                # full, because then deltalake derives a pruning predicate from its statistics.
                streamed_exec=streamed,
                commit_properties=commit_properties(metadata, txns),
            )
            values = [c for c in feed.columns if c not in keys]
            if when_matched == "update" and values:
                merger = merger.when_matched_update(updates={quote(c): f"s.{quote(c)}" for c in values})
            elif when_matched == "delete":
                merger = merger.when_matched_delete()
            if when_not_matched == "insert":
                merger = merger.when_not_matched_insert(updates={quote(c): f"s.{quote(c)}" for c in feed.columns})
            if when_not_matched_by_source == "delete":
                merger = merger.when_not_matched_by_source_delete(predicate=part_filter or None)
            metrics = merger.execute()
        return MergeResult(
            version=handle.version(),
            inserted=int(metrics.get("num_target_rows_inserted", 0)),
            updated=int(metrics.get("num_target_rows_updated", 0)),
            deleted=int(metrics.get("num_target_rows_deleted", 0)),
            source_rows=int(metrics.get("num_source_rows", feed.rows)),
        )

    # --- reads -------------------------------------------------------------------------------

    def read(self, *, version: int | None = None, as_of: dt.datetime | str | None = None) -> polars.LazyFrame:
        """The rows as a polars LazyFrame: latest, at ``version``, or as of a timestamp (the newest
        version committed at or before it; a naive datetime is UTC)."""
        import polars as pl

        snapshot = self.snapshot(version=version, as_of=as_of)
        if snapshot.protocol().min_reader_version >= 2:  # column mapping, deletion vectors
            return scan_datafusion(snapshot)
        # polars reads the snapshot's options and wants its own retry count as a number
        retries = {k: int(v) for k, v in self.storage_options.items() if k.lower() == "max_retries" and str(v).isdigit()}
        return pl.scan_delta(snapshot, storage_options=retries or None)

    def snapshot(self, *, version: int | None = None, as_of: dt.datetime | str | None = None) -> deltalake.DeltaTable:
        """A deltalake table pinned at a version or timestamp, checked to be readable."""
        return SnapshotReader(self).load(version=version, as_of=as_of)

    # --- rewrites ----------------------------------------------------------------------------

    def replace_all(
        self, snapshot: deltalake.DeltaTable, data: pyarrow.RecordBatchReader, *, partition_by: Sequence[str],
        commit_metadata: Metadata, operation: str,
    ) -> int:
        """Replace every file and the schema of the table read at ``snapshot`` in one commit (a
        verified rewrite, :mod:`tablespec.applying.rewrite`); the new version. Never redone: the
        stream can be read once, and the caller verifies the row counts."""
        from deltalake import write_deltalake

        with self._errors(operation):
            write_deltalake(
                snapshot,
                data,
                mode="overwrite",
                schema_mode="overwrite",
                partition_by=list(partition_by),
                commit_properties=commit_properties(commit_metadata),
            )
        return int(snapshot.version())

    def restore(self, version: int, *, commit_metadata: Metadata = None) -> int:
        """Make ``version``'s files current again in a new commit (undoes later commits' writes)."""
        handle = self.snapshot()
        with self._errors(f"restore version {version}"):
            handle.restore(version, commit_properties=commit_properties(commit_metadata))
        return int(handle.version())

    # --- maintenance -------------------------------------------------------------------------

    def untracked_files(self, *, since: float) -> tuple[str, ...]:
        """Data files under the table written at or after ``since`` (epoch seconds) that no commit
        references: what a write that failed to commit (a lost race) left behind. Lists the whole
        table folder, so it is for the rare failure path only. Vacuum removes such files once they
        are older than the retention."""
        import pyarrow.fs as pafs

        handle = self.raw()
        known = {relative(p, handle.table_uri, self.uri) for p in handle.file_uris()}
        with self._errors("list files"):
            infos = self._fs().get_file_info(pafs.FileSelector("", recursive=True, allow_not_found=True))
        found = []
        for info in infos:
            top = info.path.split("/", 1)[0]
            if info.type != pafs.FileType.File or top.startswith(("_", ".")) or info.path in known:
                continue
            if info.mtime is not None and info.mtime.timestamp() >= since:
                found.append(info.path)
        return tuple(sorted(found))

    def vacuum(
        self, *, retention: dt.timedelta | int | None = None, dry_run: bool = True, commit_metadata: Metadata = None,
        enforce_retention: bool = True,
    ) -> VacuumResult:
        """Delete data files removed from the table longer ago than ``retention`` (default: the
        table's delta.deletedFileRetentionDuration, else 7 days); never with a shorter retention.
        ``enforce_retention=False`` is for dry runs only: a preview at a retention about to be set."""
        if not enforce_retention and not dry_run:
            raise ValueError("enforce_retention=False is for dry runs (previews) only")
        return vacuum(self, retention=retention, dry_run=dry_run, commit_metadata=commit_metadata,
                      enforce=enforce_retention)

    def optimize(
        self,
        *,
        partition: Sequence[tuple[str, str | None]] = (),
        target_size: int,
        z_order: Sequence[str] = (),
        commit_metadata: Metadata = None,
    ) -> OptimizeResult:
        """Compact one partition (``()``: the whole table) into files of about ``target_size``
        bytes, or z-order it by ``z_order``; rows stay as they are (``dataChange: false``)."""
        return upkeep.optimize(self, partition=partition, target_size=target_size, z_order=z_order,
                               commit_metadata=commit_metadata)

    def create_checkpoint(self) -> int:
        """Write a checkpoint at the current version and return that version."""
        return upkeep.create_checkpoint(self)

    def cleanup_log(self) -> int:
        """Delete log entries older than delta.logRetentionDuration, before a checkpoint (delta-rs's
        ``cleanup_metadata``); returns how many commit files went."""
        return upkeep.cleanup_log(self)
