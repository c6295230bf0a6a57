"""Issue 13, item 21: the library ``tablespec.DeltaTable`` — the right hint for each refused write,
a create with constraints in one commit, properties apart from constraints, typed history."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from tablespec import DeltaTable
from tablespec.errors import DataError

SCHEMA = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.int64()), pa.field("p", pa.string())])


@pytest.fixture
def table(tmp_path: Path) -> DeltaTable:
    t = DeltaTable(str(tmp_path / "t"), {})
    t.create(SCHEMA, partition_by=["p"])
    t.append(pa.table({"id": [1, 2], "v": [1, 2], "p": ["a", "b"]}, schema=SCHEMA))
    return t


def test_merge_with_duplicate_source_keys_says_so(table: DeltaTable) -> None:
    with pytest.raises(DataError) as caught:
        table.merge(pa.table({"id": [1, 1], "v": [5, 6], "p": ["a", "a"]}, schema=SCHEMA), keys=["id"])
    error = caught.value
    assert "NOT NULL" not in error.hint and "CHECK" not in error.hint
    assert "key" in error.hint and ("duplicate" in error.hint or "more than one" in error.hint)
    assert "id" in str(error)  # the key column is named
    assert table.version == 1


def test_overwrite_where_with_rows_outside_the_predicate_says_so(table: DeltaTable) -> None:
    with pytest.raises(DataError) as caught:
        table.overwrite(pa.table({"id": [9], "v": [1], "p": ["b"]}, schema=SCHEMA), where="p = 'a'")
    error = caught.value
    assert "NOT NULL" not in error.hint and "CHECK" not in error.hint
    assert "p = 'a'" in error.hint or "p = 'a'" in str(error)
    assert "where" in error.hint
    assert table.version == 1


def test_not_null_violation_keeps_the_constraint_hint(table: DeltaTable) -> None:
    """The constraint hint stays where it is right."""
    with pytest.raises(DataError) as caught:
        table.add_constraint("v_pos", "v >= 0")
        table.append(pa.table({"id": [3], "v": [-1], "p": ["a"]}, schema=SCHEMA))
    assert "CHECK" in caught.value.hint


def test_create_with_constraints_is_one_commit(tmp_path: Path) -> None:
    t = DeltaTable(str(tmp_path / "c"), {})
    assert t.create(SCHEMA, constraints={"v_pos": "v >= 0"}, commit_metadata={"who": "test"}) == 0
    assert t.version == 0
    assert t.constraints == {"v_pos": "v >= 0"}
    with pytest.raises(DataError):
        t.append(pa.table({"id": [3], "v": [-1], "p": ["a"]}, schema=SCHEMA))  # enforced from version 0


def test_properties_leave_constraints_to_constraints(tmp_path: Path) -> None:
    t = DeltaTable(str(tmp_path / "c"), {})
    t.create(SCHEMA, properties={"delta.appendOnly": "false"}, constraints={"v_pos": "v >= 0"})
    assert t.properties["delta.appendOnly"] == "false"
    assert not [k for k in t.properties if k.startswith("delta.constraints.")]
    assert t.constraints == {"v_pos": "v >= 0"}


def test_history_is_typed(table: DeltaTable) -> None:
    table.append(pa.table({"id": [3], "v": [3], "p": ["a"]}, schema=SCHEMA),
                 commit_metadata={"tablespec.plan_id": "p1", "k": "v"})
    commits = table.history()
    assert isinstance(commits, tuple) and [c.version for c in commits] == [2, 1, 0]
    newest = commits[0]
    assert dataclasses.is_dataclass(newest)
    assert newest.operation == "WRITE" and newest.parameters["mode"] == "Append"
    assert newest.metadata["k"] == "v" and newest.metadata["tablespec.plan_id"] == "p1"  # commit metadata as given
    assert int(newest.metrics["num_added_rows"]) == 1
    assert isinstance(newest.timestamp, dt.datetime) and newest.timestamp.tzinfo is not None
    assert commits[-1].operation == "CREATE TABLE"
    assert [c.version for c in table.history(limit=1)] == [2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        newest.version = 5  # type: ignore[misc]
