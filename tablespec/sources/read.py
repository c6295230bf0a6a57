"""Reading one source file as typed, validated arrow batches, streaming.

The file is scanned lazily with polars and yields arrow record batches in the spec's column order
and types, so a file larger than memory streams through. Every batch is validated before it is
yielded (``tablespec.sources.casting``); a problem stops the stream with a
:class:`~tablespec.errors.DataError` raised from inside the reader, which makes deltalake abort the
write before its commit — nothing is written. The error lists, per column, the first five bad rows
(1-based *data* rows, header not counted; for CSV also the file line, exact unless a quoted value
spans lines) and how many more there are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import pyarrow as pa

from tablespec.delta.arrow import arrow_field
from tablespec.errors import DataError, Location, Problem, SpecInvalid
from tablespec.model import types as T
from tablespec.model.spec import SOURCE_OPTIONS, SourceSpec, TableSpec
from tablespec.model.state import SourceFile
from tablespec.sources import readerrors
from tablespec.sources.casting import TextFormats, cast_column, polars_type
from tablespec.sources.checks import Check, Expectations, Violations, compile_checks, compile_expectations
from tablespec.sources.discover import describe
from tablespec.sources.scan import ROW, scan

BATCH_ROWS = 131_072
SHOWN = 5


@dataclass
class SourceStream:
    """One file being read. ``error`` keeps the :class:`DataError` that stopped the stream, because
    deltalake reports an exception raised inside a reader only as text in its own error."""

    file: SourceFile
    schema: pa.Schema
    _batches: Callable[[], Iterator[pa.RecordBatch]] = field(repr=False)
    rows_read: int = 0
    rows_written: int = 0  # rows handed to the writer: read, less those expectations dropped
    error: DataError | None = None
    # rows that failed each drop/warn expectation (issue 15.3); filled as the stream is read
    expectations: dict[str, int] = field(default_factory=dict)

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self.batches())

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The validated batches; a problem raises :class:`DataError` (also kept in ``error``)."""
        try:
            yield from self._batches()
        except DataError as e:
            self.error = e
            raise


def open_stream(
    source: SourceSpec,
    file: SourceFile,
    spec: TableSpec,
    *,
    storage_options: Mapping[str, str],
    columns: Sequence[str] | None = None,
    keep_row: bool = False,
    drop_rows: Sequence[int] = (),
    on_rows: Callable[[int], None] | None = None,
) -> SourceStream:
    """Prepare a validated stream of one file (nothing is read beyond the header/footer yet).

    ``columns`` limits the output to those spec columns (the merge key pass); ``keep_row`` adds the
    1-based row number as column ``ROW``; ``drop_rows`` skips rows by number (``dedupe: last``);
    ``on_rows`` is told how many rows each batch held (progress).
    """
    _check_options(source, spec)
    # generated columns are never read from a source: delta-rs computes them on write
    wanted = [c for c in spec.columns
              if not c.generated and (columns is None or c.name.lower() in {n.lower() for n in columns})]
    fields = [arrow_field(c.name, c.type, nullable=c.nullable) for c in wanted]
    if keep_row:
        fields.append(pa.field(ROW, pa.int64(), nullable=False))
    schema = pa.schema(fields)
    stream = SourceStream(file=file, schema=schema, _batches=lambda: iter(()))
    frame, cleanup = scan(source, file, spec, storage_options)
    try:
        plan = _Plan.build(source, file, spec, frame, wanted)
    except BaseException:
        cleanup()
        raise

    # the key pass of a merge reads keys only: no CHECKs or expectations there
    checks = _checks(spec, wanted) if columns is None else []
    expects = Expectations(_expectations(spec, wanted) if columns is None else [], ROW)
    stream.expectations = expects.counts

    def batches() -> Iterator[pa.RecordBatch]:
        problems = _Problems(file.path, line_offset=_line_offset(source),
                             temporal=_temporal(source, wanted))  # fmt: skip
        violations = Violations(checks, ROW)
        lf = plan.frame.filter(~pl.col(ROW).is_in(list(drop_rows))) if drop_rows else plan.frame
        try:
            for df in _collect(lf, file, lambda e: readerrors.read_error(source, file, storage_options, e)):
                stream.rows_read += df.height
                if plan.flags:
                    problems.add(df.filter(pl.col("__bad")), plan)
                if problems:
                    continue  # stop feeding the writer; keep reading to count every problem
                typed = df.select([*plan.outputs, pl.col(ROW)])
                if expects.checks:  # drop (and count) rows before the table's CHECKs see them
                    typed = expects.apply(typed)
                    if expects.failing:
                        continue
                if checks:
                    violations.add(typed)
                    if violations:
                        continue
                out = typed.select([*(c.name for c in wanted), *([pl.col(ROW).cast(pl.Int64)] if keep_row else [])])
                if on_rows is not None:
                    on_rows(df.height)
                stream.rows_written += out.height
                yield from _to_arrow(out, schema)
        finally:
            cleanup()
        if problems:
            raise problems.error()
        if expects.failing:
            raise problems.violation(expects.failing)
        if violations:
            raise problems.violation(violations)
        if stream.rows_read == 0 and not source.options_dict.get("allow_empty", False):
            raise DataError(f"{file.path}: the file has no data rows", file=file.path,
                            hint="a truncated export? set options: {allow_empty: true} if empty files are expected")  # fmt: skip
        if describe(file.path, storage_options=storage_options).digest != file.digest:
            # cheap when unchanged: a local file is hashed again only if its size or mtime moved
            raise DataError(f"{file.path}: the file changed while it was being loaded; nothing was written",
                            file=file.path, hint="run apply again once the file is complete")  # fmt: skip

    stream._batches = batches
    return stream


def _collect(lf: pl.LazyFrame, file: SourceFile, fail: Callable[[BaseException], DataError]) -> Iterator[pl.DataFrame]:
    """Polars' streaming engine, batch by batch; its read errors become DataErrors naming the file
    (and the line, :func:`tablespec.sources.readerrors.read_error`)."""
    try:
        yield from lf.collect_batches(chunk_size=BATCH_ROWS)
    except DataError:
        raise
    except Exception as e:
        raise fail(e) from e


def _to_arrow(df: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    table = df.to_arrow()
    table = pa.Table.from_arrays([table.column(i).cast(schema.field(i).type) for i in range(len(schema))],
                                 schema=schema)  # fmt: skip
    yield from table.to_batches()


def _line_offset(source: SourceSpec) -> int | None:
    """File line = data row + this (CSV only: header and skipped lines)."""
    if source.format != "csv":
        return None
    opts = source.options_dict
    skip = opts.get("skip_rows", 0)
    return (int(skip) if isinstance(skip, (int, str)) else 0) + (1 if opts.get("header", True) else 0)


def _check_options(source: SourceSpec, spec: TableSpec) -> None:
    unknown = sorted(set(source.options_dict) - SOURCE_OPTIONS[source.format])
    if unknown:
        known = ", ".join(sorted(SOURCE_OPTIONS[source.format]))
        raise SpecInvalid([Problem(source.loc if source.loc.file else Location(spec.name),
                                   f"source {source.name!r}: unknown {source.format} option(s) {', '.join(unknown)}",
                                   f"known options: {known}", table=spec.name)])  # fmt: skip


# --- typing and validation --------------------------------------------------------------------


@dataclass
class _Plan:
    """The typed projection of one file: output expressions, and per column a failure flag."""

    frame: pl.LazyFrame
    outputs: list[pl.Expr]
    flags: list[tuple[str, str | None, str]]  # (flag column, raw-value column or None, spec column)

    @classmethod
    def build(cls, source: SourceSpec, file: SourceFile, spec: TableSpec, frame: pl.LazyFrame,
              wanted: Sequence[Any]) -> _Plan:  # fmt: skip
        present = [n for n in frame.collect_schema().names() if n != ROW]
        schema = frame.collect_schema()
        if source.format == "csv" and not source.options_dict.get("header", True):
            present = _positional_names(source, file, spec, frame, present)
            frame = frame.rename(dict(zip(schema.names()[1:], present, strict=False)))
            schema = frame.collect_schema()
        if not present:  # a 0-byte file: not even a header
            if not source.options_dict.get("allow_empty", False):
                raise DataError(f"{file.path}: the file is empty: no data rows (and no header)", file=file.path,
                                hint="a truncated export? set options: {allow_empty: true} if empty files are expected")  # fmt: skip
            return cls(frame=frame.select(pl.col(ROW), *[pl.lit(None, polars_type(T.parse_type(c.type))).alias(c.name)
                                                         for c in wanted]), outputs=[pl.col(c.name) for c in wanted],
                       flags=[])  # fmt: skip
        by_lower: dict[str, str] = {}
        for name in present:
            if name.lower() in by_lower:
                raise DataError(f"{file.path}: columns {by_lower[name.lower()]!r} and {name!r} differ only in case",
                                file=file.path, column=name)  # fmt: skip
            by_lower[name.lower()] = name
        expressions = {n: c.generated for n in present if (c := spec.column(n)) is not None and c.generated}
        generated = list(expressions)
        if generated:
            raise DataError(
                f"{file.path}: column {generated[0]!r} is a generated column of table {spec.name} "
                f"(GENERATED ALWAYS AS {expressions[generated[0]]}); a source must not supply it",
                file=file.path, column=generated[0],
                hint="leave the column out of the file (delta-rs computes it), or select the other columns",
            )
        extra = [n for n in present if spec.column(n) is None]
        if extra and source.extra_columns != "ignore":
            raise DataError(
                f"{_first_seen(source, file, frame, extra[0])}: column(s) {', '.join(map(repr, extra))} are not in table {spec.name}; "
                f"the file has {', '.join(map(repr, present))}",
                file=file.path,
                column=extra[0],
                hint=(source.format == "csv" and readerrors.delimiter_hint(present, [c.name for c in spec.columns],
                                                                           readerrors.delimiter_of(source, file.path)))
                or "add them to the spec's columns, or set extra_columns: ignore on the source",
            )
        fmt = _text_formats(source)
        raws, typed_columns, checks, outputs = [], [], [], []
        flags: list[tuple[str, str | None, str]] = []
        for i, column in enumerate(wanted):
            t = T.parse_type(column.type)
            src = by_lower.get(column.name.lower())
            if src is None:
                if not column.nullable:
                    raise DataError(f"{file.path}: column {column.name!r} is NOT NULL but the file has no such column; "
                                    f"it has {', '.join(map(repr, present))}", file=file.path, column=column.name)  # fmt: skip
                outputs.append(pl.lit(None, polars_type(t)).alias(column.name))  # a missing nullable column is null
                continue
            if (isinstance(schema[src], (pl.Struct, pl.List, pl.Array)) and isinstance(t, T.Primitive)
                    and t.name == "string"):  # issue 24.5: it was stored as JSON text without a word
                raise DataError(f"{file.path}: column {src!r} is {schema[src]} in the file, but column "
                                f"{column.name!r} of table {spec.name} is string", file=file.path, column=column.name,
                                hint="declare the column with its nested type (struct<...>, array<...>), or write "
                                     "the value as text in the export")  # fmt: skip
            cast = cast_column(pl.col(src), schema[src], t, fmt)
            typed_columns.append(cast.typed.alias(column.name))
            outputs.append(pl.col(column.name))
            raw, typed = pl.col(f"__s{i}"), pl.col(column.name)
            failed = cast.failed(raw, typed)
            flag = failed if column.nullable else (typed.is_null() if failed is None else failed | typed.is_null())
            if flag is None:
                continue  # nothing can go wrong (same type, nullable)
            if failed is None:  # only NULL can go wrong: no raw value to keep, none to show
                flags.append((f"__f{i}", None, column.name))
            else:  # the raw value is kept, and turned into text only for the rows that fail (issue 17)
                raws.append(pl.col(src).alias(f"__s{i}"))
                flags.append((f"__f{i}", f"__s{i}", column.name))
            checks.append(flag.alias(f"__f{i}"))
        # two steps: each column is parsed once (step 1), then checked against its source (step 2)
        frame = frame.select(pl.col(ROW), *typed_columns, *raws).with_columns(checks)
        if flags:
            frame = frame.with_columns(pl.any_horizontal([pl.col(f) for f, *_ in flags]).alias("__bad"))
        return cls(frame=frame, outputs=outputs, flags=flags)


def _checks(spec: TableSpec, wanted: Sequence[Any]) -> list[Check]:
    """The table's CHECKs that tablespec can evaluate on what this read yields (a CHECK on a
    generated column, which delta-rs computes, stays with delta-rs)."""
    if not spec.constraints:
        return []
    types = {c.name: T.parse_type(c.type) for c in wanted}
    lowered = {n.lower() for n in types}
    return [c for c in compile_checks(spec.constraints, types) if all(col.lower() in lowered for col in c.columns)]


def _temporal(source: SourceSpec, wanted: Sequence[Any]) -> frozenset[str]:
    if source.format == "parquet":
        return frozenset()
    return frozenset(c.name for c in wanted if c.type in ("date", "timestamp", "timestamp_ntz"))


def _expectations(spec: TableSpec, wanted: Sequence[Any]) -> list[Check]:
    if not spec.expectations:
        return []
    return compile_expectations(spec.expectations, {c.name: T.parse_type(c.type) for c in wanted})


def _first_seen(source: SourceSpec, file: SourceFile, frame: pl.LazyFrame, column: str) -> str:
    """``file:line`` of the first record holding ``column`` (NDJSON: a row is a line), else ``file``."""
    if source.format != "ndjson":
        return file.path
    try:
        first = frame.filter(pl.col(column).is_not_null()).select(ROW).head(1).collect()
    except Exception:  # noqa: BLE001 - only a location for a message that is raised anyway
        return file.path
    return f"{file.path}:{first.item()}" if first.height else file.path


def _positional_names(source: SourceSpec, file: SourceFile, spec: TableSpec, frame: pl.LazyFrame,
                      present: list[str]) -> list[str]:  # fmt: skip
    """Without a header, file columns are the spec's columns in order."""
    names = [c.name for c in spec.columns]
    if len(present) > len(names) and source.extra_columns != "ignore":
        raise DataError(f"{file.path}: {len(present)} columns but table {spec.name} has {len(names)}",
                        file=file.path, column=f"column {len(names) + 1}")  # fmt: skip
    return [names[i] if i < len(names) else f"__extra{i}" for i in range(len(present))]


def _text_formats(source: SourceSpec) -> TextFormats:
    opts = source.options_dict

    def listed(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = opts.get(key)
        if value is None:
            return default
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    base = TextFormats()
    return TextFormats(
        date_formats=listed("date_format", base.date_formats),
        timestamp_formats=listed("timestamp_format", base.timestamp_formats),
        true_words=tuple(w.lower() for w in listed("true_values", base.true_words)),
        false_words=tuple(w.lower() for w in listed("false_values", base.false_words)),
    )


class _Problems:
    """Bad values per column: the first few with row and value, and how many in all."""

    def __init__(self, path: str, *, line_offset: int | None, temporal: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.line_offset = line_offset
        self.temporal = temporal  # date/timestamp columns read from text: their hint names date_format
        self.columns: dict[str, tuple[list[tuple[int, str | None]], list[int]]] = {}

    def __bool__(self) -> bool:
        return bool(self.columns)

    def add(self, bad: pl.DataFrame, plan: _Plan) -> bool:
        if bad.height == 0:
            return False
        for flag, raw, column in plan.flags:
            hits = bad.filter(pl.col(flag))
            if hits.height == 0:
                continue
            shown, count = self.columns.setdefault(column, ([], [0]))
            count[0] += hits.height
            value = pl.lit(None, pl.String) if raw is None else pl.col(raw).cast(pl.String, strict=False)
            for row, text in hits.head(SHOWN - len(shown)).select(ROW, value).iter_rows():
                shown.append((int(row), text))
        return True

    def violation(self, violations: Violations) -> DataError:
        """Rows that break the table's CHECK constraints (issue 15.2), found before delta-rs."""
        lines = violations.lines(self._where)
        first = next(iter(violations.found.values()))
        return DataError(
            f"{self.path}: " + "\n  ".join(lines),
            file=self.path,
            column=first[0].columns[0] if first[0].columns else "",
            rows=tuple(r for r, _ in first[1]),
            hint=("a row passes an expectation only when its check is true (NULL fails); fix the rows, or set "
                  "on_fail: drop or warn on the expectation. Nothing was written") if first[0].kind == "expectation"
                 else "Delta refuses a row whose CHECK is false or NULL; fix the rows, or change the constraint "
                 "(a nullable column needs `col IS NULL OR ...`). Nothing was written",
        )  # fmt: skip

    def error(self) -> DataError:
        lines = []
        for column, (shown, count) in self.columns.items():
            where = "; ".join(
                self._where(row) + ": " + (_show(v) if v is not None else "null in a NOT NULL column")
                for row, v in shown
            )
            more = f"; and {count[0] - len(shown)} more" if count[0] > len(shown) else ""
            lines.append(f"column {column!r}: {count[0]} value(s) do not fit: {where}{more}")
        first, (shown, _) = next(iter(self.columns.items()))
        return DataError(
            f"{self.path}: " + "\n  ".join(lines),
            file=self.path,
            column=first,
            rows=tuple(r for r, _ in shown),
            hint="rows count data rows from 1 (a header is not a row); nothing was written" + (
                "; dates and timestamps are read as ISO 8601 (2026-01-31): for another layout set the source's "
                "options: {date_format: \"%d/%m/%Y\"} (or timestamp_format)"
                if any(c in self.temporal for c in self.columns) else ""),  # issue 24.6
        )

    def _where(self, row: int) -> str:
        return f"row {row}" + (f" (line {row + self.line_offset})" if self.line_offset is not None else "")


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")
