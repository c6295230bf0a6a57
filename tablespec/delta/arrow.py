"""The one mapping between tablespec's type strings (:mod:`tablespec.model.types`) and Arrow.

deltalake reads and writes Arrow, so this is Delta knowledge and lives at the boundary; ``model``
stays free of pyarrow. Sources, loads, the executor and rewrites all build their Arrow fields here.
"""

from __future__ import annotations

from typing import Any

from tablespec.model.types import Array, DataType, Decimal, Field, Map, Primitive, Struct, TypeParseError, parse_type


def to_arrow(t: DataType) -> Any:
    """The pyarrow type deltalake reads and writes for a Delta type."""
    import pyarrow as pa

    if isinstance(t, Decimal):
        return pa.decimal128(t.precision, t.scale)
    if isinstance(t, Primitive):
        return {
            "boolean": pa.bool_(),
            "byte": pa.int8(),
            "short": pa.int16(),
            "integer": pa.int32(),
            "long": pa.int64(),
            "float": pa.float32(),
            "double": pa.float64(),
            "string": pa.string(),
            "binary": pa.binary(),
            "date": pa.date32(),
            "timestamp": pa.timestamp("us", tz="UTC"),
            "timestamp_ntz": pa.timestamp("us"),
        }[t.name]
    if isinstance(t, Array):
        return pa.list_(pa.field("element", to_arrow(t.element), nullable=t.contains_null))
    if isinstance(t, Map):
        return pa.map_(to_arrow(t.key), pa.field("value", to_arrow(t.value), nullable=t.value_contains_null))
    return pa.struct([pa.field(f.name, to_arrow(f.type), nullable=f.nullable) for f in t.fields])


def from_arrow(arrow_type: Any) -> DataType:
    """The Delta type for a pyarrow type (the inverse of :func:`to_arrow`, plus common aliases)."""
    import pyarrow as pa
    import pyarrow.types as pt

    if pt.is_boolean(arrow_type):
        return Primitive("boolean")
    for check, name in (
        (pt.is_int8, "byte"),
        (pt.is_int16, "short"),
        (pt.is_int32, "integer"),
        (pt.is_int64, "long"),
        (pt.is_uint8, "short"),
        (pt.is_uint16, "integer"),
        (pt.is_uint32, "long"),
        (pt.is_uint64, "long"),
        (pt.is_float16, "float"),
        (pt.is_float32, "float"),
        (pt.is_float64, "double"),
        (pt.is_date, "date"),
    ):
        if check(arrow_type):
            return Primitive(name)
    if pt.is_string(arrow_type) or pt.is_large_string(arrow_type) or pt.is_string_view(arrow_type):
        return Primitive("string")
    if pt.is_binary(arrow_type) or pt.is_large_binary(arrow_type) or pt.is_fixed_size_binary(arrow_type):
        return Primitive("binary")
    if pt.is_binary_view(arrow_type):
        return Primitive("binary")
    if pt.is_timestamp(arrow_type):
        return Primitive("timestamp" if arrow_type.tz else "timestamp_ntz")
    if pt.is_decimal(arrow_type):
        return Decimal(arrow_type.precision, arrow_type.scale)
    if pt.is_list(arrow_type) or pt.is_large_list(arrow_type) or pt.is_list_view(arrow_type):
        return Array(from_arrow(arrow_type.value_type), arrow_type.value_field.nullable)
    if pt.is_map(arrow_type):
        return Map(from_arrow(arrow_type.key_type), from_arrow(arrow_type.item_type), arrow_type.item_field.nullable)
    if pt.is_struct(arrow_type):
        return Struct(
            tuple(Field(f.name, from_arrow(f.type), f.nullable) for f in (arrow_type.field(i) for i in range(arrow_type.num_fields)))
        )
    if isinstance(arrow_type, pa.DataType) and pt.is_dictionary(arrow_type):
        return from_arrow(arrow_type.value_type)
    raise TypeParseError(f"no Delta type for arrow type {arrow_type}")


def arrow_type(type_text: str) -> Any:
    """The pyarrow type of a spec's type string (``decimal(18,2)``, ``array<string>``, ...)."""
    return to_arrow(parse_type(type_text))


def arrow_field(name: str, type_text: str, *, nullable: bool = True, comment: str | None = None) -> Any:
    """A pyarrow field for a column; the comment rides along as field metadata ``comment``."""
    import pyarrow as pa

    meta = {"comment": comment} if comment else None
    return pa.field(name, arrow_type(type_text), nullable=nullable, metadata=meta)
