"""The one DataFusion scan over a pinned snapshot: deltalake's own reader.

It is the reader that honours column mapping and deletion vectors (``pl.scan_delta`` refuses
reader version 2+, ``to_pyarrow_table`` silently returns nulls for mapped columns), so both
``DeltaTable.read`` on such tables and ``tablespec read`` go through :func:`scan_batches`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import deltalake
    import polars
    import pyarrow


def scan_batches(snapshot: deltalake.DeltaTable, sql: str) -> pyarrow.RecordBatchReader:
    """The result of ``sql`` over ``snapshot`` registered as table ``t``, batch by batch."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    return pa.RecordBatchReader.from_stream(QueryBuilder().register("t", snapshot).execute(sql))


def snapshot_arrow_schema(snapshot: deltalake.DeltaTable) -> pyarrow.Schema:
    """The snapshot's schema as arrow (for an empty result with the right columns)."""
    import pyarrow as pa

    return pa.schema(snapshot.schema().to_arrow())


def scan_datafusion(snapshot: deltalake.DeltaTable) -> polars.LazyFrame:
    """A lazy frame over ``snapshot`` read by deltalake's own DataFusion scan.

    For tables polars' ``scan_delta`` refuses (reader version 2+: column mapping, deletion
    vectors). It stays lazy: polars asks for the columns and row limit it needs, which go into
    the SQL, and the rows arrive batch by batch; a filter is applied to each batch.
    """
    import polars as pl
    import pyarrow as pa
    from polars.io.plugins import register_io_source

    schema = pl.from_arrow(pa.schema(snapshot.schema().to_arrow()).empty_table()).schema  # type: ignore[union-attr]

    def source(columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None,
               batch_size: int | None) -> Iterator[pl.DataFrame]:
        names = ", ".join('"' + c.replace('"', '""') + '"' for c in (columns or schema.names()))
        limit = f" LIMIT {int(n_rows)}" if n_rows is not None and predicate is None else ""
        reader = scan_batches(snapshot, f"SELECT {names} FROM t{limit}")
        left = n_rows
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if predicate is not None:
                frame = frame.filter(predicate)
            if left is not None:  # a limit after the filter, not before it
                frame = frame.head(left)
                left -= frame.height
            yield frame
            if left == 0:
                return

    return register_io_source(io_source=source, schema=schema)
