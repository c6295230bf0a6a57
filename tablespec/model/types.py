"""Delta / Spark SQL type strings: parse, print canonically, convert.

Pure, no pyarrow: the Arrow mapping is :mod:`tablespec.delta.arrow`, so ``tablespec validate``
never loads pyarrow. Type names follow the Delta protocol's schema serialization
(https://github.com/delta-io/delta/blob/master/PROTOCOL.md#schema-serialization-format).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Spec spellings -> the Delta protocol's primitive name.
PRIMITIVES = {
    "boolean": "boolean",
    "byte": "byte",
    "tinyint": "byte",
    "short": "short",
    "smallint": "short",
    "integer": "integer",
    "int": "integer",
    "long": "long",
    "bigint": "long",
    "float": "float",
    "double": "double",
    "string": "string",
    "binary": "binary",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp_ntz",
}
MAX_DECIMAL_PRECISION = 38


@dataclass(frozen=True)
class Primitive:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Decimal:
    precision: int
    scale: int

    def __str__(self) -> str:
        return f"decimal({self.precision},{self.scale})"


@dataclass(frozen=True)
class Array:
    element: DataType
    contains_null: bool = True

    def __str__(self) -> str:
        return f"array<{self.element}>"


@dataclass(frozen=True)
class Map:
    key: DataType
    value: DataType
    value_contains_null: bool = True

    def __str__(self) -> str:
        return f"map<{self.key},{self.value}>"


@dataclass(frozen=True)
class Field:
    name: str
    type: DataType
    nullable: bool = True


@dataclass(frozen=True)
class Struct:
    fields: tuple[Field, ...]

    def __str__(self) -> str:
        return "struct<" + ",".join(f"{f.name}:{f.type}" for f in self.fields) + ">"


DataType = Primitive | Decimal | Array | Map | Struct


class TypeParseError(ValueError):
    """A type string that is not a Delta type; ``position`` is the 0-based offset of the fault."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


def parse_type(text: str) -> DataType:
    """Parse ``decimal(18,2)``, ``array<struct<a:int,b:map<string,long>>>`` and the like."""
    parser = _Parser(text)
    result = parser.parse()
    parser.skip_space()
    if parser.pos != len(text):
        raise TypeParseError(f"unexpected {text[parser.pos:]!r} after type {str(result)!r}", parser.pos)
    return result


def canonical(text: str) -> str:
    """The canonical spelling of a type string (``bigint`` -> ``long``)."""
    return str(parse_type(text))


def is_complex(t: DataType) -> bool:
    return isinstance(t, (Array, Map, Struct))


def is_partitionable(t: DataType) -> bool:
    """Delta partition values are strings of primitive values: nested types cannot partition."""
    return not is_complex(t) and not (isinstance(t, Primitive) and t.name == "binary")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of type"
            raise TypeParseError(f"expected {char!r} at position {self.pos + 1}, found {found}", self.pos)
        self.pos += 1

    def word(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] == "_"):
            self.pos += 1
        if start == self.pos:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "end of type"
            raise TypeParseError(f"expected a type name at position {start + 1}, found {found}", start)
        return self.text[start : self.pos]

    def number(self) -> int:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            self.pos += 1
        if start == self.pos:
            raise TypeParseError(f"expected a number at position {start + 1}", start)
        return int(self.text[start : self.pos])

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> DataType:
        start = self.pos
        name = self.word().lower()
        if name in PRIMITIVES:
            return Primitive(PRIMITIVES[name])
        if name in ("decimal", "numeric", "dec"):
            precision, scale = 10, 0
            if self.peek() == "(":
                self.expect("(")
                precision = self.number()
                if self.peek() == ",":
                    self.expect(",")
                    scale = self.number()
                self.expect(")")
            if not 1 <= precision <= MAX_DECIMAL_PRECISION:
                raise TypeParseError(f"decimal precision {precision} is outside 1..{MAX_DECIMAL_PRECISION}", start)
            if scale > precision:
                raise TypeParseError(f"decimal scale {scale} is larger than its precision {precision}", start)
            return Decimal(precision, scale)
        if name == "array":
            self.expect("<")
            element = self.parse()
            self.expect(">")
            return Array(element)
        if name == "map":
            self.expect("<")
            key = self.parse()
            self.expect(",")
            value = self.parse()
            self.expect(">")
            if is_complex(key):
                raise TypeParseError(f"map keys must be a primitive type, not {key}", start)
            return Map(key, value)
        if name == "struct":
            self.expect("<")
            fields: list[Field] = []
            seen: set[str] = set()
            while True:
                field_name = self.word()
                if field_name.lower() in seen:
                    raise TypeParseError(f"struct field {field_name!r} appears twice", self.pos)
                seen.add(field_name.lower())
                self.expect(":")
                fields.append(Field(field_name, self.parse()))
                if self.peek() == ",":
                    self.expect(",")
                    continue
                self.expect(">")
                return Struct(tuple(fields))
        known = ", ".join(sorted(set(PRIMITIVES) | {"decimal(p,s)", "array<T>", "map<K,V>", "struct<name:T,...>"}))
        raise TypeParseError(f"unknown type {name!r}; known types: {known}", start)


# --- Delta JSON schema (the log's schemaString) ------------------------------------------------


def from_delta_json(node: Any) -> DataType:
    """A type from the Delta log's JSON form (as ``deltalake.Schema.to_json`` gives it)."""
    if isinstance(node, str):
        if node.startswith("decimal"):
            return parse_type(node)
        if node not in PRIMITIVES:
            raise TypeParseError(f"unsupported Delta type {node!r}")
        return Primitive(PRIMITIVES[node])
    kind = node.get("type")
    if kind == "array":
        return Array(from_delta_json(node["elementType"]), bool(node.get("containsNull", True)))
    if kind == "map":
        return Map(
            from_delta_json(node["keyType"]),
            from_delta_json(node["valueType"]),
            bool(node.get("valueContainsNull", True)),
        )
    if kind == "struct":
        return Struct(
            tuple(Field(f["name"], from_delta_json(f["type"]), bool(f.get("nullable", True))) for f in node["fields"])
        )
    raise TypeParseError(f"unsupported Delta type {node!r}")


def to_delta_json(t: DataType) -> Any:
    """The Delta log's JSON form of a type."""
    if isinstance(t, (Primitive, Decimal)):
        return str(t)
    if isinstance(t, Array):
        return {"type": "array", "elementType": to_delta_json(t.element), "containsNull": t.contains_null}
    if isinstance(t, Map):
        return {
            "type": "map",
            "keyType": to_delta_json(t.key),
            "valueType": to_delta_json(t.value),
            "valueContainsNull": t.value_contains_null,
        }
    return {
        "type": "struct",
        "fields": [
            {"name": f.name, "type": to_delta_json(f.type), "nullable": f.nullable, "metadata": {}} for f in t.fields
        ],
    }
