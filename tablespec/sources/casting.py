"""Source values -> the spec's types, as polars expressions that also say which values failed.

Why a module of its own: every source format ends up here. CSV arrives as text (tablespec reads
CSV with ``infer_schema=False`` and NDJSON/JSON with every field as text, so that *tablespec*,
not a reader's guess from the first rows, decides what a value means); parquet arrives typed.
For each spec column :func:`cast_column` gives a :class:`Cast`:

* the typed value — null where the source value is null or cannot be cast;
* a failure flag over (raw, typed) — true where the source had a value that did not fit (cast
  failed, or the cast would silently lose information: ``12.345`` into ``decimal(18,2)``, ``1.5``
  into ``long``, ``300`` into ``byte``).

The reader (``tablespec.sources.read``) evaluates both lazily, batch by batch, and turns flagged rows
into a :class:`~tablespec.errors.DataError` naming file, column, row and value.

Text conventions (documented in docs/loads.md): surrounding blanks are ignored for non-string
types; booleans accept true/false, t/f, yes/no, y/n, 1/0 (any case); dates are ISO ``YYYY-MM-DD``
unless ``date_format`` is given; timestamps accept ISO 8601 with ``T`` or a blank, optional
fraction and optional offset (``Z``, ``+02:00``) unless ``timestamp_format`` is given. A
``timestamp`` without an offset is taken as UTC; a ``timestamp_ntz`` with an offset is converted
to UTC wall time. Nested types (array, map, struct) in text are JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from tablespec.model import types as T

TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
DATE_FORMATS = ("%Y-%m-%d",)
# Tried in order; the first that parses a value wins (polars infers ONE format per column
# otherwise, so a file mixing `Z` and `+02:00` would half fail).
TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%d %H:%M%#z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_INTEGERS = {"byte": pl.Int8, "short": pl.Int16, "integer": pl.Int32, "long": pl.Int64}


@dataclass(frozen=True)
class TextFormats:
    """How text becomes dates, timestamps and booleans (from the source's ``options``)."""

    date_formats: tuple[str, ...] = DATE_FORMATS
    timestamp_formats: tuple[str, ...] = TIMESTAMP_FORMATS
    true_words: tuple[str, ...] = TRUE_WORDS
    false_words: tuple[str, ...] = FALSE_WORDS


def polars_type(t: T.DataType) -> pl.DataType:
    """The polars dtype whose arrow form is :func:`tablespec.delta.arrow.to_arrow` (modulo large/view)."""
    if isinstance(t, T.Decimal):
        return pl.Decimal(t.precision, t.scale)
    if isinstance(t, T.Primitive):
        simple: dict[str, Any] = {
            "boolean": pl.Boolean, "byte": pl.Int8, "short": pl.Int16, "integer": pl.Int32,
            "long": pl.Int64, "float": pl.Float32, "double": pl.Float64, "string": pl.String,
            "binary": pl.Binary, "date": pl.Date,
        }  # fmt: skip
        if t.name in simple:
            return simple[t.name]()
        return pl.Datetime("us", "UTC" if t.name == "timestamp" else None)
    if isinstance(t, T.Array):
        return pl.List(polars_type(t.element))
    if isinstance(t, T.Map):
        return pl.Map(polars_type(t.key), polars_type(t.value))
    return pl.Struct([pl.Field(f.name, polars_type(f.type)) for f in t.fields])


@dataclass(frozen=True)
class Cast:
    """How one column is typed: ``typed`` is computed from the raw column once; ``failed`` is then
    evaluated over the raw and the typed columns (so an expensive parse never runs twice)."""

    typed: pl.Expr
    lossy: Callable[[pl.Expr, pl.Expr], pl.Expr] | None = None  # (raw, typed) -> value lost information

    def failed(self, raw: pl.Expr, typed: pl.Expr) -> pl.Expr | None:
        """True where the source had a value that did not fit; None when nothing can fail."""
        if self.typed.meta.is_column() and self.lossy is None:
            return None  # the value is passed through untouched
        flag = typed.is_null() & raw.is_not_null()
        if self.lossy is not None:
            flag = flag | self.lossy(raw, typed)
        return flag.fill_null(False)


def cast_column(raw: pl.Expr, source: pl.DataType, t: T.DataType, fmt: TextFormats) -> Cast:
    """How to type one column; see the module docstring."""
    if source == pl.String and not (isinstance(t, T.Primitive) and t.name == "string"):
        return _from_text(raw, t, fmt)
    return _from_typed(raw, source, t)


def _from_text(raw: pl.Expr, t: T.DataType, fmt: TextFormats) -> Cast:
    text = raw.str.strip_chars()
    if isinstance(t, T.Decimal):
        scale = t.scale

        def lossy(raw: pl.Expr, typed: pl.Expr) -> pl.Expr:
            # polars truncates extra fraction digits; a value that needs them does not fit
            fraction = raw.str.strip_chars().str.extract(r"\.(\d*?)0*$", 1).str.len_chars()
            return fraction.fill_null(0) > scale

        return Cast(text.cast(pl.Decimal(t.precision, t.scale), strict=False), lossy)
    if isinstance(t, T.Primitive):
        if t.name in _INTEGERS:
            return Cast(text.cast(_INTEGERS[t.name], strict=False))
        if t.name in ("float", "double"):
            return Cast(text.cast(polars_type(t), strict=False))
        if t.name == "boolean":
            lowered = text.str.to_lowercase()
            return Cast(
                pl.when(lowered.is_in(list(fmt.true_words))).then(pl.lit(True))
                .when(lowered.is_in(list(fmt.false_words))).then(pl.lit(False))
                .otherwise(pl.lit(None, pl.Boolean))
            )  # fmt: skip
        if t.name == "binary":
            return Cast(raw.cast(pl.Binary))
        if t.name == "date":
            parse_date = _FirstFormat(fmt.date_formats, lambda s, f: s.str.to_date(f, strict=False))
            return Cast(text.map_batches(parse_date, return_dtype=pl.Date, is_elementwise=True))
        if t.name in ("timestamp", "timestamp_ntz"):
            dtype = polars_type(t)
            parse: Callable[[pl.Series], pl.Series] = _FirstFormat(
                fmt.timestamp_formats, _timestamp_parser(t.name == "timestamp"))
            if fmt.timestamp_formats == TIMESTAMP_FORMATS:
                parse = _IsoFastPath(parse, utc=t.name == "timestamp")
            return Cast(text.map_batches(parse, return_dtype=dtype, is_elementwise=True))
    dtype = polars_type(t)
    return Cast(raw.map_batches(lambda s: _json_decode(s, dtype), return_dtype=dtype, is_elementwise=True))


def _timestamp_parser(utc: bool) -> Callable[[pl.Series, str], pl.Series]:
    def parse(values: pl.Series, f: str) -> pl.Series:
        if "%z" in f or "%#z" in f:
            parsed = values.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC")
            return parsed if utc else parsed.dt.replace_time_zone(None)  # offsets become UTC wall time
        return values.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC" if utc else None)

    return parse


class _IsoFastPath:
    """Arrow's ISO 8601 cast first (about 6x faster than polars' formatted parse), the format
    list only for a batch it cannot take whole.

    Where the cast succeeds it agrees with the documented rules: a ``timestamp`` value must then
    carry an offset (Arrow refuses naive text for a zoned type) and becomes that UTC instant; a
    ``timestamp_ntz`` value must be naive and keeps its wall time. Any other batch (naive text for
    ``timestamp``, offsets for ``timestamp_ntz``, 7+ fraction digits, bad values) fails as a whole
    and goes through :class:`_FirstFormat`, which decides value by value and flags what fails.
    """

    def __init__(self, fallback: Callable[[pl.Series], pl.Series], *, utc: bool) -> None:
        self.fallback = fallback
        self.utc = utc

    def __call__(self, values: pl.Series) -> pl.Series:
        import pyarrow as pa
        import pyarrow.compute as pc

        target = pa.timestamp("us", tz="UTC" if self.utc else None)
        try:
            parsed = pc.cast(values.to_arrow(), target, safe=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return self.fallback(values)
        return pl.Series(values.name, parsed)


class _FirstFormat:
    """Parse text trying formats in turn, each only on the values still unparsed.

    Polars infers ONE format per column when given none, so a file mixing ``Z`` and ``+02:00``
    would half fail; trying every format on every value costs one parse per format. Here the
    format that worked last is tried first, so a uniform file costs one parse per batch.
    """

    def __init__(self, formats: Sequence[str], parse: Callable[[pl.Series, str], pl.Series]) -> None:
        self.formats = list(formats)
        self.parse = parse

    def __call__(self, values: pl.Series) -> pl.Series:
        out: pl.Series | None = None
        for i, f in enumerate(list(self.formats)):
            if out is None:
                out = self.parse(values, f)
                todo = out.is_null() & values.is_not_null()
            else:
                index = todo.arg_true()
                out = out.scatter(index, self.parse(values.gather(index), f))
                todo = out.is_null() & values.is_not_null()
            if not todo.any():
                if i:
                    self.formats.insert(0, self.formats.pop(i))  # keep the winner in front
                break
        assert out is not None
        return out


def _json_decode(values: pl.Series, dtype: pl.DataType) -> pl.Series:
    """JSON text -> nested values; a value that is not valid JSON becomes null (and is flagged).

    Fast path decodes the whole batch; only a batch holding bad JSON is retried value by value.
    """
    try:
        decoded = values.str.json_decode(dtype)
        if not _has_struct(dtype) or not _extra_fields(values, dtype):
            return decoded
    except Exception:  # noqa: BLE001 - polars fails the whole batch on one bad value
        pass
    out: list[Any] = []
    for v in values.to_list():
        try:
            if v is not None and _has_struct(dtype) and _unknown_keys(json.loads(v), dtype):
                out.append(None)  # a field the struct does not declare would be lost: flagged instead
                continue
            out.append(None if v is None else pl.Series([v]).str.json_decode(dtype).to_list()[0])
        except Exception:  # noqa: BLE001 - not JSON of that shape: flagged as not fitting
            out.append(None)
    return pl.Series(values.name, out, dtype=dtype, strict=False)


def _has_struct(dtype: Any) -> bool:
    if isinstance(dtype, pl.Struct):
        return True
    if isinstance(dtype, (pl.List, pl.Array)):
        return _has_struct(dtype.inner)
    return False


def _extra_fields(values: pl.Series, dtype: Any) -> bool:
    """Whether some value of the batch holds a struct field the declared type lacks (issue 24.1:
    json_decode with a type drops such fields without a word). One inference pass over the batch."""
    try:
        found = values.drop_nulls().str.json_decode(infer_schema_length=None).dtype
    except Exception:  # noqa: BLE001 - shapes polars cannot unify: the value-by-value pass decides
        return True
    return _wider(found, dtype)


def _wider(found: Any, declared: Any) -> bool:
    if isinstance(found, pl.Struct) and isinstance(declared, pl.Struct):
        names = {f.name.lower(): f.dtype for f in declared.fields}
        return any(f.name.lower() not in names or _wider(f.dtype, names[f.name.lower()]) for f in found.fields)
    if isinstance(found, (pl.List, pl.Array)) and isinstance(declared, (pl.List, pl.Array)):
        return _wider(found.inner, declared.inner)
    return False


def _unknown_keys(value: Any, dtype: Any) -> bool:
    if isinstance(dtype, pl.Struct) and isinstance(value, dict):
        names = {f.name.lower(): f.dtype for f in dtype.fields}
        return any(k.lower() not in names or _unknown_keys(v, names[k.lower()]) for k, v in value.items())
    if isinstance(dtype, (pl.List, pl.Array)) and isinstance(value, list):
        return any(_unknown_keys(v, dtype.inner) for v in value)
    return False


def _from_typed(raw: pl.Expr, source: pl.DataType, t: T.DataType) -> Cast:
    target = polars_type(t)
    if source == target:
        return Cast(raw)
    if isinstance(t, T.Primitive) and t.name in ("timestamp", "timestamp_ntz") and isinstance(source, pl.Datetime):
        value = raw if source.time_zone else raw.dt.replace_time_zone("UTC")  # naive values are UTC
        value = value.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        return Cast(value if t.name == "timestamp" else value.dt.replace_time_zone(None))
    if isinstance(t, T.Primitive) and t.name == "date" and isinstance(source, pl.Datetime):
        return Cast(raw.dt.date())
    if isinstance(t, T.Primitive) and t.name == "string" and isinstance(source, (pl.Struct, pl.List, pl.Map)):
        return Cast(raw.struct.json_encode() if isinstance(source, pl.Struct) else raw.cast(pl.String, strict=False))
    if isinstance(t, T.Decimal) and source.is_float():
        return Cast(raw.round(t.scale).cast(target, strict=False))
    typed = raw.cast(target, strict=False)
    if (target.is_integer() or isinstance(t, T.Decimal)) and (source.is_numeric() or isinstance(source, pl.Decimal)):
        # a narrowing cast that "succeeds" by dropping digits (1.5 -> 1, 0.125 -> 0.12) loses data
        return Cast(typed, lambda raw, typed: typed.is_not_null() & (typed.cast(source, strict=False) != raw))
    return Cast(typed)
