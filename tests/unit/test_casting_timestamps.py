"""The ISO fast path for timestamps must give exactly what the per-format parser gives."""

from __future__ import annotations

import polars as pl
import pytest

from tablespec.sources.casting import TIMESTAMP_FORMATS, _FirstFormat, _IsoFastPath, _timestamp_parser

BATCHES = [
    ["2026-01-01T10:00:00Z", "2026-01-01 10:00:00+02:00", "2026-01-01T10:00:00.123456+0000", None],  # all offsets
    ["2026-01-01T10:00:00", "2026-01-01 10:00", "2026-01-01", None],  # all naive
    ["2026-01-01T10:00:00Z", "2026-01-01T10:00:00", None],  # mixed: falls back
    ["2026-01-01T10:00:00.1234567Z", "2026-01-02T00:00:00Z"],  # 7 fraction digits: falls back
    ["2026-01-01T10:00:00Z", "not a time", ""],  # bad values: falls back, stay null (flagged by the caller)
]


@pytest.mark.parametrize("utc", [True, False], ids=["timestamp", "timestamp_ntz"])
@pytest.mark.parametrize("values", BATCHES)
def test_fast_path_matches_format_list(values: list[str | None], utc: bool) -> None:
    series = pl.Series("t", values, dtype=pl.String)
    slow = _FirstFormat(TIMESTAMP_FORMATS, _timestamp_parser(utc))(series)
    fast = _IsoFastPath(_FirstFormat(TIMESTAMP_FORMATS, _timestamp_parser(utc)), utc=utc)(series)
    assert fast.dtype == slow.dtype
    assert fast.to_list() == slow.to_list()
