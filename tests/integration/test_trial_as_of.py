"""Issue 13.5: ``read --as-of`` and ``history`` use one clock, the commit's own timestamp. On S3
(second-resolution LastModified) time travel by file times picked a later version than history
showed for the same instant."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tablespec import DeltaTable
from tablespec.errors import NoSuchVersion


def test_as_of_each_commit_s_history_time_is_that_commit(table_uri: str) -> None:
    table = DeltaTable(table_uri, {} if "://" not in table_uri else None)
    schema = pa.schema([pa.field("id", pa.int64())])
    table.create(schema)
    for i in range(4):  # several commits inside one second
        table.append(pa.table({"id": [i]}, schema=schema))
    commits = table.history()
    stamps = {c.version: c.timestamp for c in commits}
    assert len(set(stamps.values())) == len(stamps), "commits need distinct millisecond stamps for this test"

    for version, stamp in stamps.items():
        assert table.snapshot(as_of=stamp).version() == version
        later = stamp + dt.timedelta(microseconds=500)  # the same millisecond: still that version
        assert table.snapshot(as_of=later).version() == version
    assert sorted(table.read(as_of=stamps[2]).collect()["id"].to_list()) == [0, 1]

    with pytest.raises(NoSuchVersion, match="did not exist yet"):
        table.snapshot(as_of=stamps[0] - dt.timedelta(milliseconds=1))


def test_history_shows_the_clock_as_of_goes_by(table_uri: str) -> None:
    from tablespec.inspect.show import history

    table = DeltaTable(table_uri, {} if "://" not in table_uri else None)
    schema = pa.schema([pa.field("id", pa.int64())])
    table.create(schema)
    for i in range(3):
        table.append(pa.table({"id": [i]}, schema=schema))
    for commit in history(table_uri, table.storage_options):
        shown = dt.datetime.fromisoformat(str(commit.timestamp).replace("Z", "+00:00"))
        assert table.snapshot(as_of=shown).version() == commit.version
