"""Getting one source file ready to merge: key checks, ``dedupe: last``, and partition pruning.

Split from ``tablespec.loads.execute`` because a merge needs to know things about the whole file before
deltalake starts: whether a key is null or repeats (the merge would insert duplicates or fail
halfway), and which partitions the file touches (to prune the merge). How the file is read
depends on its size:

* up to :data:`IN_MEMORY_BYTES` on disk it is read once, validated, into an arrow table, and the
  merge gets that table — deltalake merges an in-memory source noticeably faster than a stream;
* a larger file is read twice: a key-only pass first (projection makes it cheap for parquet), then
  the validated stream goes into the merge, so it never has to fit in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from tablespec.errors import DataError, TablespecError
from tablespec.model.spec import SourceSpec, TableSpec
from tablespec.model.state import SourceFile
from tablespec.sources.read import ROW, open_stream

if TYPE_CHECKING:
    from tablespec.delta.table import DeltaTable

SHOWN = 5
IN_MEMORY_BYTES = 256 << 20
# Above this many distinct partition values a literal IN list stops paying for itself.
MAX_PRUNE_VALUES = 1000


@dataclass
class Prepared:
    """A file checked for merging. ``data`` is the whole validated file when it was small enough."""

    keys: list[str]
    data: pa.Table | None = None
    drop_rows: list[int] = field(default_factory=list)
    partition_values: dict[str, list[Any]] | None = None
    rows_read: int = 0
    expectations: dict[str, int] = field(default_factory=dict)  # drop/warn counts of the whole read


def prepare(
    table: DeltaTable, spec: TableSpec, source: SourceSpec, file: SourceFile, *,
    storage_options: dict[str, str], on_rows: Callable[[int], None] | None = None,
) -> Prepared:  # fmt: skip
    merge = source.merge
    if merge is None:
        raise TablespecError(f"source {source.name!r} has mode merge but no merge: settings")
    keys = [_column(spec, k) for k in merge.keys]
    partition_cols = [_column(spec, p) for p in spec.partitioned_by]
    whole = file.size <= IN_MEMORY_BYTES
    stream = open_stream(source, file, spec, storage_options=storage_options, keep_row=True,
                         columns=None if whole else list(dict.fromkeys(keys + partition_cols)),
                         on_rows=on_rows if whole else None)  # fmt: skip
    data = pa.Table.from_batches(list(stream.batches()), schema=stream.schema)
    frame = pl.from_arrow(data.select([*dict.fromkeys(keys + partition_cols), ROW]))
    assert isinstance(frame, pl.DataFrame)
    check_null_keys(frame, keys, file)
    drop = duplicates(frame, keys, file, dedupe=source.dedupe)
    prepared = Prepared(keys=keys, drop_rows=drop, rows_read=frame.height)
    if whole:
        prepared.expectations = dict(stream.expectations)
        if drop:
            data = data.filter(pc.invert(pc.is_in(data.column(ROW), value_set=pa.array(drop, pa.int64()))))
        prepared.data = data.drop_columns([ROW])
    if partition_cols and merge.when_not_matched_by_source == "keep" and frame.height:
        prepared.partition_values = prune(table, frame, keys, partition_cols)
    return prepared


def prune(
    table: DeltaTable, frame: pl.DataFrame, keys: list[str], partition_cols: list[str]
) -> dict[str, list[Any]] | None:
    """The file's partition values as merge literals, when that cannot change the merge's result.

    Exact when the partition columns are merge keys (a match needs equal partition values anyway).
    When they are not, exact only if none of the file's keys lives in a partition the file does
    not touch: checked by reading just the key columns of the other partitions (cheap next to an
    unpruned merge); if one does (a row that changed partition), the merge runs unpruned so the row
    is updated rather than duplicated. The caller never prunes with ``when_not_matched_by_source:
    delete``, which pruning would confine to the file's partitions.
    """
    values = {p: frame.get_column(p).unique().sort(nulls_last=True).to_list() for p in partition_cols}
    if any(len(v) > MAX_PRUNE_VALUES for v in values.values()):
        return None
    lowered = {k.lower() for k in keys}
    if all(p.lower() in lowered for p in partition_cols):
        return values
    return None if keys_elsewhere(table, frame, keys, values) else values


def keys_elsewhere(table: DeltaTable, frame: pl.DataFrame, keys: list[str], values: dict[str, list[Any]]) -> bool:
    """Whether any of the file's keys is in the table outside the file's partitions."""
    inside = pl.lit(True)
    for column, vals in values.items():
        present = [v for v in vals if v is not None]
        clause = pl.col(column).is_in(present) if present else pl.lit(False)
        if len(present) < len(vals):
            clause = clause | pl.col(column).is_null()
        inside = inside & clause
    try:
        target = table.read().filter(~inside).select(keys)
        hits = target.join(frame.lazy().select(keys).unique(), on=keys, how="semi").limit(1)
        return hits.collect().height > 0
    except TablespecError:
        raise
    except Exception:  # noqa: BLE001 - cannot tell: do not prune
        return True


def check_null_keys(frame: pl.DataFrame, keys: list[str], file: SourceFile) -> None:
    for key in keys:
        nulls = frame.filter(pl.col(key).is_null())
        if nulls.height:
            rows = tuple(int(r) for r in nulls.get_column(ROW).head(SHOWN).to_list())
            more = f" and {nulls.height - len(rows)} more" if nulls.height > len(rows) else ""
            raise DataError(f"{file.path}: merge key {key!r} is null in row(s) {', '.join(map(str, rows))}{more}; "
                            "a null key can never match", file=file.path, column=key, rows=rows)  # fmt: skip


def duplicates(frame: pl.DataFrame, keys: Sequence[str], file: SourceFile, *, dedupe: str) -> list[int]:
    """Rows to drop for ``dedupe: last`` (all but each key's last row), or raise naming the keys."""
    distinct = frame.get_column(keys[0]).n_unique() if len(keys) == 1 else frame.select(list(keys)).n_unique()
    if distinct == frame.height:
        return []  # the usual case, and a cheap test (is_duplicated costs ~20x more)
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys))
    repeated = frame.filter(key.is_duplicated())
    groups = repeated.group_by(list(keys), maintain_order=True).agg(pl.col(ROW).sort().alias("rows"))
    if dedupe == "last":
        earlier = groups.select(pl.col("rows").list.slice(0, pl.col("rows").list.len() - 1)).explode("rows")
        return [int(r) for r in earlier.get_column("rows").to_list()]
    shown = groups.head(SHOWN)
    described = "; ".join(
        ", ".join(f"{k}={row[k]!r}" for k in keys) + f" (rows {', '.join(map(str, row['rows'][:SHOWN]))})"
        for row in shown.iter_rows(named=True)
    )
    more = f"; and {groups.height - SHOWN} more key(s)" if groups.height > SHOWN else ""
    first_rows = tuple(int(r) for r in shown.get_column("rows")[0])
    raise DataError(
        f"{file.path}: {groups.height} merge key(s) appear more than once: {described}{more}",
        file=file.path, column=keys[0], rows=first_rows[:SHOWN],
        hint="a merge needs one row per key; fix the file, or set dedupe: last to keep each key's last row",
    )  # fmt: skip


def _column(spec: TableSpec, name: str) -> str:
    column = spec.column(name)
    if column is None:
        raise TablespecError(f"column {name!r} is not a column of table {spec.name}")
    return column.name
