from __future__ import annotations

import pytest

from tablespec.delta.arrow import from_arrow, to_arrow
from tablespec.model.durations import human, parse_duration, to_delta_interval
from tablespec.model.types import (
    TypeParseError,
    canonical,
    from_delta_json,
    is_partitionable,
    parse_type,
    to_delta_json,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bigint", "long"),
        ("INT", "integer"),
        ("tinyint", "byte"),
        ("smallint", "short"),
        ("decimal(18, 2)", "decimal(18,2)"),
        ("decimal", "decimal(10,0)"),
        ("array<string>", "array<string>"),
        ("map<string,array<int>>", "map<string,array<integer>>"),
        ("struct<a:int, b:struct<c:timestamp_ntz>>", "struct<a:integer,b:struct<c:timestamp_ntz>>"),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize(
    "text",
    ["strng", "decimal(0,0)", "decimal(39,1)", "decimal(4,5)", "array<>", "array<int", "map<int>",
     "struct<>", "struct<a int>", "long long", "map<struct<a:int>,int>", ""],
)
def test_bad_types(text: str) -> None:
    with pytest.raises(TypeParseError):
        parse_type(text)


def test_round_trips_through_delta_json_and_arrow() -> None:
    for text in ["long", "decimal(38,10)", "array<struct<a:int,b:map<string,array<date>>>>", "timestamp", "timestamp_ntz", "binary"]:
        t = parse_type(text)
        assert from_delta_json(to_delta_json(t)) == t
        assert from_arrow(to_arrow(t)) == t


def test_partitionable() -> None:
    assert is_partitionable(parse_type("date"))
    assert not is_partitionable(parse_type("array<int>"))
    assert not is_partitionable(parse_type("struct<a:int>"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7 days", 604800), ("12 hours", 43200), ("30d", 2592000), ("interval 7 days", 604800),
     ("1 day 12 hours", 129600), ("90 minutes", 5400), ("2 weeks", 1209600), ("45s", 45)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "seven days", "7 dayz", "7 days later", "-1 days"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_delta_interval_and_human() -> None:
    assert to_delta_interval(604800) == "interval 7 days"
    assert to_delta_interval(43200) == "interval 12 hours"
    assert to_delta_interval(90) == "interval 90 seconds"
    assert human(86400) == "1 day" and human(7200) == "2 hours"
