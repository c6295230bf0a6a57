"""Turn what callers hand to :class:`tablespec.delta.table.DeltaTable` into what deltalake takes.

deltalake consumes an Arrow stream. Callers have polars DataFrames and LazyFrames, pyarrow Tables
and RecordBatchReaders. Everything becomes a ``pyarrow.RecordBatchReader`` that yields batches one
at a time, so a large LazyFrame or reader is never held in memory at once.

Before a write the stream's schema is checked against the table's: columns the table lacks, table
columns that cannot be left out, and types that do not fit are reported together as one
:class:`~tablespec.errors.SchemaMismatch`. deltalake would otherwise either fail with "number of
fields does not match" or, worse, silently cast (an int column into a string one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tablespec.delta.arrow import from_arrow
from tablespec.errors import DataError, SchemaMismatch, TablespecError
from tablespec.model.keys import GENERATION_KEY
from tablespec.model.types import Array, DataType, Decimal, Map, Primitive, Struct, TypeParseError
from tablespec.model.types import Field as TypeField

if TYPE_CHECKING:
    import deltalake

# Widening casts that lose nothing; Delta's own type widening allows the same integer steps.
_WIDER = {
    "byte": {"short", "integer", "long"},
    "short": {"integer", "long"},
    "integer": {"long"},
    "float": {"double"},
}


def to_reader(data: Any) -> pa.RecordBatchReader:
    """A streaming reader over ``data`` (polars DataFrame/LazyFrame, pyarrow Table/RecordBatch/reader).

    Raises TypeError for anything else: that is a programming error, not bad data.
    """
    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return data.to_reader()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]).to_reader()
    polars = _polars_module(data)
    if polars is not None and isinstance(data, polars.LazyFrame):
        return _lazyframe_reader(data, polars)
    if polars is not None and isinstance(data, polars.DataFrame):
        return data.to_arrow().to_reader()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.RecordBatchReader.from_stream(data)
    raise TypeError(
        f"cannot write {type(data).__name__}: pass a polars DataFrame or LazyFrame, "
        "a pyarrow Table, RecordBatch or RecordBatchReader"
    )


def is_streamed(data: Any) -> bool:
    """True for inputs whose rows are produced on demand (and so can be read only once)."""
    if isinstance(data, pa.RecordBatchReader):
        return True
    polars = _polars_module(data)
    return polars is not None and isinstance(data, polars.LazyFrame)


def is_replayable(data: Any) -> bool:
    """True for inputs that can be read again from the start, so a failed write can be redone."""
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return True
    polars = _polars_module(data)
    return polars is not None and isinstance(data, (polars.DataFrame, polars.LazyFrame))


def _polars_module(data: Any) -> Any:
    # polars is imported only when the caller already uses it: a pyarrow-only caller never pays for it.
    if type(data).__module__.split(".")[0] != "polars":
        return None
    import polars

    return polars


def _lazyframe_reader(frame: Any, polars: Any) -> pa.RecordBatchReader:
    """Stream a LazyFrame: the query runs in polars' streaming engine as deltalake pulls batches."""
    schema = polars.DataFrame(schema=frame.collect_schema()).to_arrow().schema

    def batches() -> Iterator[pa.RecordBatch]:
        for chunk in frame.collect_batches(lazy=True):
            for batch in chunk.to_arrow().to_batches():
                yield batch if batch.schema == schema else batch.cast(schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


# --- schema check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """How one table column is fed from the input: by which input column, or by nulls."""

    target: pa.Field
    source: str | None


@dataclass
class Conformed:
    """A reader whose batches have the table's column names, order and types, counting rows."""

    reader: pa.RecordBatchReader
    columns: tuple[str, ...]
    rows: int = 0
    error: BaseException | None = field(default=None, repr=False)


def delta_type(arrow_type: pa.DataType) -> DataType | None:
    """The Delta type of an arrow type with nullability erased, or None if Delta has none."""
    try:
        return _erase_nullability(from_arrow(arrow_type))
    except TypeParseError:
        return None


def _erase_nullability(t: DataType) -> DataType:
    if isinstance(t, Array):
        return Array(_erase_nullability(t.element))
    if isinstance(t, Map):
        return Map(_erase_nullability(t.key), _erase_nullability(t.value))
    if isinstance(t, Struct):
        return Struct(tuple(TypeField(f.name, _erase_nullability(f.type)) for f in t.fields))
    return t


def fits(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether values of arrow type ``source`` can be stored in a column of ``target`` losslessly."""
    if pa.types.is_null(source):
        return True
    have, want = delta_type(source), delta_type(target)
    if have is None or want is None:
        return False
    if have == want:
        return True
    if isinstance(have, Primitive) and isinstance(want, Primitive):
        return want.name in _WIDER.get(have.name, ())
    if isinstance(have, Decimal) and isinstance(want, Decimal):
        return have.scale == want.scale and have.precision <= want.precision
    return False


def plan_columns(
    source: pa.Schema,
    target: pa.Schema,
    *,
    fill_missing: bool,
    required: tuple[str, ...] = (),
) -> list[ColumnPlan]:
    """Match input columns to table columns (case-insensitively, as Delta does) or raise SchemaMismatch.

    ``fill_missing``: table columns absent from the input are written as nulls (an append or
    overwrite, as Delta does for a nullable column); otherwise only the input's columns are used
    (a merge updates just the columns it was given). ``required`` names columns that must be
    present even then (merge keys, non-nullable columns on insert).
    """
    by_name = {f.name.lower(): f for f in target}
    extra = tuple(name for name in source.names if name.lower() not in by_name)
    given = {name.lower(): name for name in source.names}
    if len(given) < len(source.names):
        dupes = sorted({n for n in source.names if source.names.count(n) > 1 or _case_dupe(n, source.names)})
        raise SchemaMismatch(f"the data has the column(s) {', '.join(dupes)} more than once", different=tuple(dupes))
    missing: list[str] = []
    different: list[str] = []
    wrong: list[str] = []
    plans: list[ColumnPlan] = []
    needed = {name.lower() for name in required}
    for column in target:
        name = given.get(column.name.lower())
        if name is None:
            if GENERATION_KEY.encode() in (column.metadata or {}):
                continue  # a generated column: deltalake computes it (and checks a supplied value)
            if column.name.lower() in needed or (fill_missing and not column.nullable):
                missing.append(column.name)
            elif fill_missing:
                plans.append(ColumnPlan(column, None))
            continue
        have = source.field(name).type
        if not fits(have, column.type):
            different.append(column.name)
            wrong.append(f"{column.name} ({_type_name(have)} does not fit {_type_name(column.type)})")
        plans.append(ColumnPlan(column, name))
    if extra or missing or different:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("not in the table " + ", ".join(extra))
        if different:
            parts.append("wrong type " + ", ".join(wrong))
        raise SchemaMismatch(
            "the data does not match the table's columns: " + "; ".join(parts),
            missing=tuple(missing),
            extra=extra,
            different=tuple(different),
            hint="add new columns to the table first (schema evolution is additive), "
            "or select and cast the data's columns",
        )
    return plans


def _case_dupe(name: str, names: list[str]) -> bool:
    return sum(1 for other in names if other.lower() == name.lower()) > 1


def _type_name(arrow_type: pa.DataType) -> str:
    t = delta_type(arrow_type)
    return str(t) if t is not None else str(arrow_type)


def conform(
    reader: pa.RecordBatchReader,
    target: pa.Schema,
    *,
    fill_missing: bool,
    required: tuple[str, ...] = (),
    check: Callable[[pa.RecordBatch], None] | None = None,
) -> Conformed:
    """Wrap ``reader`` so each batch arrives renamed, reordered and cast to the table's schema.

    Batches are converted lazily, while deltalake pulls them. Any exception raised on the way (a
    value that does not survive the cast, a failing LazyFrame query, ``check`` refusing a batch) is
    recorded on the result, because the Python exception itself is lost on its way through Rust;
    the caller re-raises it. ``check`` sees each converted batch before deltalake does.
    """
    plans = plan_columns(reader.schema, target, fill_missing=fill_missing, required=required)
    # Declared nullable on purpose: deltalake checks NOT NULL itself and reports the offending rows.
    out_schema = pa.schema([pa.field(p.target.name, p.target.type, nullable=True) for p in plans])
    result = Conformed(reader=reader, columns=tuple(p.target.name for p in plans))

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in reader:
                out = pa.RecordBatch.from_arrays([_column(batch, plan) for plan in plans], schema=out_schema)
                if check is not None:
                    check(out)
                result.rows += out.num_rows
                yield out
        except GeneratorExit:
            raise
        except BaseException as e:
            result.error = e
            raise

    result.reader = pa.RecordBatchReader.from_batches(out_schema, batches())
    return result


def input_error(error: BaseException, operation: str) -> TablespecError:
    """The error to raise for an exception recorded while deltalake was pulling the input."""
    if isinstance(error, TablespecError):
        return error
    if isinstance(error, (pa.ArrowInvalid, pa.ArrowNotImplementedError)):
        text = str(error)
        column = text.split(":", 1)[0].removeprefix("column ").strip() if text.startswith("column ") else ""
        return DataError(f"{operation}: a value does not fit the table's column type: {text}", column=column)
    return DataError(f"{operation}: reading the input data failed: {type(error).__name__}: {error}")


def _column(batch: pa.RecordBatch, plan: ColumnPlan) -> pa.Array:
    if plan.source is None:
        return pa.nulls(batch.num_rows, type=plan.target.type)
    array = batch.column(plan.source)
    if array.type == plan.target.type:
        return array
    try:
        return array.cast(plan.target.type, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise pa.ArrowInvalid(f"column {plan.target.name}: {e}") from e


# --- tables ----------------------------------------------------------------------------------


def arrow_schema(handle: deltalake.DeltaTable) -> pa.Schema:
    """The table's arrow schema, each column's non-empty Delta ``comment`` as field metadata (an
    empty one stands for "no comment": deltalake cannot delete a metadata key)."""
    import json

    comments = {
        f["name"]: f["metadata"]["comment"]
        for f in json.loads(handle.schema().to_json())["fields"]
        if isinstance(f.get("metadata", {}).get("comment"), str) and f["metadata"]["comment"]
    }
    fields = []
    for f in pa.schema(handle.schema().to_arrow()):
        metadata = {k: v for k, v in (f.metadata or {}).items() if k != b"comment"}
        if f.name in comments:
            metadata[b"comment"] = comments[f.name].encode()
        fields.append(f.with_metadata(metadata) if metadata else f.remove_metadata())
    return pa.schema(fields)


def delta_field(column: Any) -> deltalake.Field:
    import deltalake

    if isinstance(column, deltalake.Field):
        return column
    if isinstance(column, pa.Field):
        return deltalake.Field.from_arrow(column)
    raise TypeError(f"expected a pyarrow.Field or deltalake.Field, not {type(column).__name__}")


def schema_from_columns(columns: Sequence[Any]) -> deltalake.Schema:
    """The Delta schema of a new table from the plan's column definitions (name, type, nullable,
    comment, generated), built from the log's JSON form so that what Arrow cannot say survives:
    ``variant`` types and generation expressions (``delta.generationExpression``)."""
    import json

    import deltalake

    from tablespec.model.types import parse_type, to_delta_json

    fields = []
    for c in columns:
        meta = {"comment": c.comment} if c.comment else {}
        if c.generated:
            meta[GENERATION_KEY] = c.generated
        fields.append({"name": c.name, "type": to_delta_json(parse_type(c.type)), "nullable": c.nullable, "metadata": meta})
    return deltalake.Schema.from_json(json.dumps({"type": "struct", "fields": fields}))


def delta_schema(schema: Any) -> deltalake.Schema:
    import deltalake

    if isinstance(schema, deltalake.Schema):
        return schema
    if isinstance(schema, pa.Schema):
        # Field by field, so a "comment" in a field's metadata reaches the Delta schema.
        return deltalake.Schema([deltalake.Field.from_arrow(f) for f in schema])
    raise TypeError(f"expected a pyarrow.Schema or deltalake.Schema, not {type(schema).__name__}")


def partition_check(parts: Mapping[str, list[Any]]) -> Callable[[Any], None] | None:
    """A batch check that every row lies in the promised partitions (else the merge would miss
    its matches and insert duplicates)."""
    if not parts:
        return None
    import pyarrow.compute as pc

    def check(batch: pa.RecordBatch) -> None:
        for column, values in parts.items():
            if column not in batch.schema.names:
                raise SchemaMismatch(f"merge data lacks partition column {column}", missing=(column,))
            array = batch.column(column)
            allowed = [_partition_text(v) for v in values if v is not None]
            inside = pc.is_in(pc.cast(array, pa.string()), value_set=pa.array(allowed, pa.string()))
            inside = (
                pc.or_(pc.fill_null(inside, False), pc.is_null(array))
                if None in values
                else pc.fill_null(inside, False)
            )
            if not pc.all(inside).as_py():
                outside = sorted({str(v) for v in pc.filter(array, pc.invert(inside)).to_pylist()})[:5]
                raise DataError(
                    f"merge data has rows outside partition_values for {column}: {', '.join(outside)}", column=column
                )

    return check


def predicate_check(where: str | None) -> Callable[[Any], None] | None:
    """A batch check that every new row of ``overwrite(where=...)`` matches ``where`` (Delta's
    replaceWhere): deltalake refuses such rows too, but in words that read like a constraint
    failure. polars evaluates the SQL predicate; one it cannot parse is left to deltalake."""
    if not where:
        return None
    import polars as pl

    try:
        expression = pl.sql_expr(where)
    except Exception:  # noqa: BLE001 - a dialect difference: deltalake checks it anyway
        return None
    row = "__tablespec_row__"

    def check(batch: pa.RecordBatch) -> None:
        frame = pl.DataFrame(pl.from_arrow(batch))
        try:
            outside = frame.with_row_index(row, offset=1).filter(~expression.fill_null(False))
        except Exception:  # noqa: BLE001 - as above
            return
        if outside.height:
            first = outside.row(0, named=True)
            number = first.pop(row)
            raise DataError(
                f"{outside.height} new row(s) do not match where={where!r}, e.g. row {number}: {first}",
                hint=f"overwrite(where={where!r}) replaces only the rows matching it, and every new row must "
                "match it too (Delta's replaceWhere): filter the data, or widen where",
            )

    return check


def _partition_text(value: Any) -> str:
    """A value as arrow's cast to string spells it, to compare with a partition column's values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
