"""tablespec.DeltaTable against real tables: a folder in tmp_path and a bucket on the moto server.

Every test here runs twice through the ``table_uri`` fixture (local, s3) unless it is about one
storage only. The S3 case relies on ``s3_env``: no storage options are passed anywhere, so the
default from ``load_config()`` is what gets exercised.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import polars as pl
import pyarrow as pa
import pytest

from tablespec.delta.table import AppTransaction, DeltaTable, NoSuchVersion, TableExists
from tablespec.errors import (
    DataError,
    NotADeltaTable,
    Refused,
    SchemaMismatch,
    TableNotFound,
)

SCHEMA = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string(), metadata={"comment": "who"}),
        pa.field("amount", pa.float64()),
        pa.field("dt", pa.string()),
    ]
)


def rows(table: DeltaTable, **at: object) -> list[dict[str, object]]:
    return table.read(**at).sort("id").collect().to_dicts()  # type: ignore[arg-type]


def ids(table: DeltaTable, **at: object) -> list[int]:
    return [r["id"] for r in rows(table, **at)]  # type: ignore[misc]


def data(*items: tuple[int, str | None, float | None, str]) -> pa.Table:
    return pa.table(
        {
            "id": [i[0] for i in items],
            "name": [i[1] for i in items],
            "amount": [i[2] for i in items],
            "dt": [i[3] for i in items],
        },
        schema=SCHEMA,
    )


@pytest.fixture
def table(table_uri: str) -> DeltaTable:
    t = DeltaTable(table_uri, name="test.orders")
    t.create(SCHEMA, partition_by=["dt"])
    return t


def data_files(table: DeltaTable, request: pytest.FixtureRequest) -> set[str]:
    """Data files present in storage, relative to the table root (the log excluded)."""
    if table.uri.startswith("s3://"):
        bucket, _, prefix = table.uri[len("s3://") :].partition("/")
        keys = request.getfixturevalue("s3_server").keys(bucket, prefix + "/")
        return {k[len(prefix) + 1 :] for k in keys if "/_delta_log/" not in k}
    found = set()
    for folder, _, files in os.walk(table.uri):
        if "_delta_log" not in folder:
            found |= {os.path.relpath(os.path.join(folder, f), table.uri) for f in files}
    return found


# --- create and state -----------------------------------------------------------------------


def test_create_records_everything(table_uri: str) -> None:
    t = DeltaTable(table_uri, name="sales.orders")
    assert not t.exists()
    version = t.create(
        SCHEMA,
        partition_by=["DT"],
        properties={"delta.logRetentionDuration": "interval 30 days", "owner": "team-a"},
        description="Orders",
        constraints={"amount_not_negative": "amount >= 0"},
        commit_metadata={"plan_id": "p-1"},
    )
    assert version == 0  # one CREATE TABLE commit, constraints included
    assert t.exists() and t.version == 0
    assert t.partition_by == ("dt",)
    assert t.description == "Orders"
    assert t.properties["owner"] == "team-a"
    assert t.properties["delta.logRetentionDuration"] == "interval 30 days"
    assert t.constraints == {"amount_not_negative": "amount >= 0"}
    schema = t.schema
    assert schema.names == ["id", "name", "amount", "dt"]
    assert not schema.field("id").nullable
    assert schema.field("name").metadata == {b"comment": b"who"}
    history = t.history()
    assert [h.version for h in history] == [0]
    assert all(h.metadata["tablespec.version"] and h.metadata["plan_id"] == "p-1" for h in history)
    assert history[0].operation == "CREATE TABLE"
    with pytest.raises(TableExists):
        t.create(SCHEMA)


def test_absent_table(table_uri: str) -> None:
    t = DeltaTable(table_uri, name="nope")
    assert not t.exists()
    with pytest.raises(TableNotFound, match="nope"):
        _ = t.version
    with pytest.raises(TableNotFound):
        t.read()
    with pytest.raises(TableNotFound):
        t.append(data((1, "a", 1.0, "d")))


def test_files_without_a_log_are_not_a_table(table_uri: str, request: pytest.FixtureRequest) -> None:
    if table_uri.startswith("s3://"):
        bucket, _, prefix = table_uri[len("s3://") :].partition("/")
        request.getfixturevalue("s3_server").client().put_object(
            Bucket=bucket, Key=f"{prefix}/part-0.parquet", Body=b"x"
        )
    else:
        os.makedirs(table_uri)
        with open(os.path.join(table_uri, "part-0.parquet"), "wb") as f:
            f.write(b"x")
    table = DeltaTable(table_uri)
    assert not table.exists()
    with pytest.raises(NotADeltaTable, match="no Delta log"):
        _ = table.version


# --- writes ---------------------------------------------------------------------------------


def test_append_accepts_every_input_kind(table: DeltaTable) -> None:
    frame = pl.DataFrame({"id": [1], "name": ["a"], "amount": [1.5], "dt": ["d1"]})
    lazy = pl.LazyFrame({"id": [2, 3], "name": ["b", "c"], "amount": [2.0, 3.0], "dt": ["d1", "d2"]})
    reader = data((4, "d", 4.0, "d2"), (5, "e", None, "d2")).to_reader()
    results = [
        table.append(frame),
        table.append(lazy),
        table.append(data((6, "f", 6.0, "d1"))),
        table.append(reader, commit_metadata={"source": "reader"}),
    ]
    assert [r.version for r in results] == [1, 2, 3, 4]
    assert [r.rows for r in results] == [1, 2, 1, 2]
    assert ids(table) == [1, 2, 3, 4, 5, 6]
    assert table.history(1)[0].metadata["source"] == "reader"


def test_append_matches_columns_by_name_and_fills_nullable_ones(table: DeltaTable) -> None:
    table.append(pa.table({"DT": ["d1"], "ID": pa.array([7], pa.int32())}))
    assert rows(table) == [{"id": 7, "name": None, "amount": None, "dt": "d1"}]


def test_append_schema_mismatch_names_the_columns(table: DeltaTable) -> None:
    bad = pa.table({"name": [1], "extra": ["x"], "dt": ["d1"]})
    with pytest.raises(SchemaMismatch) as caught:
        table.append(bad)
    assert caught.value.missing == ("id",)
    assert caught.value.extra == ("extra",)
    assert caught.value.different == ("name",)
    assert "extra" in str(caught.value) and "name" in str(caught.value)
    assert table.version == 0


def test_bad_rows_are_data_errors_and_write_nothing(table: DeltaTable) -> None:
    table.add_constraint("amount_not_negative", "amount >= 0")
    with pytest.raises(DataError, match="test.orders"):
        table.append(data((1, "a", -1.0, "d1")))
    with pytest.raises(DataError):
        table.append(pa.table({"id": pa.array([None], pa.int64()), "dt": ["d1"]}))
    with pytest.raises(DataError) as caught:
        table.append(pa.table({"id": pa.array([2**64 - 1], pa.uint64()), "dt": ["d1"]}))
    assert caught.value.column == "id"
    assert table.version == 1 and ids(table) == []


def test_overwrite_whole_and_by_predicate(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1"), (2, "b", 2.0, "d2")))
    result = table.overwrite(data((3, "c", 3.0, "d2")), where="dt = 'd2'")
    assert result.rows == 1
    assert ids(table) == [1, 3]
    with pytest.raises(DataError):  # replaceWhere: new rows must match the predicate
        table.overwrite(data((4, "d", 4.0, "d1")), where="dt = 'd2'")
    table.overwrite(pl.DataFrame({"id": [9], "dt": ["d9"]}))
    assert rows(table) == [{"id": 9, "name": None, "amount": None, "dt": "d9"}]
    assert ids(table, version=1) == [1, 2]


def test_app_transaction_is_committed_with_the_write(table: DeltaTable) -> None:
    assert table.app_transaction_version("loader/daily") is None
    table.append(data((1, "a", 1.0, "d1")), app_transactions=[AppTransaction("loader/daily", 3)])
    assert table.app_transaction_version("loader/daily") == 3


# --- merge ----------------------------------------------------------------------------------


def test_merge_upserts_and_counts(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1"), (2, "b", 2.0, "d1")))
    result = table.merge(data((2, "B", 20.0, "d1"), (3, "c", 3.0, "d2")), keys=["id"], commit_metadata={"k": "v"})
    assert (result.inserted, result.updated, result.deleted, result.source_rows) == (1, 1, 0, 2)
    assert result.version == table.version == 2
    assert rows(table) == [
        {"id": 1, "name": "a", "amount": 1.0, "dt": "d1"},
        {"id": 2, "name": "B", "amount": 20.0, "dt": "d1"},
        {"id": 3, "name": "c", "amount": 3.0, "dt": "d2"},
    ]
    assert table.history(1)[0].metadata["k"] == "v"


def test_merge_by_source_delete_and_streamed_input(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1"), (2, "b", 2.0, "d1"), (3, "c", 3.0, "d2")))
    source = data((2, "B", 2.5, "d1"), (4, "d", 4.0, "d2")).to_reader()
    result = table.merge(source, keys=["id"], when_not_matched_by_source="delete")
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 2)
    assert ids(table) == [2, 4]


def test_merge_updates_only_the_given_columns(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1")))
    table.merge(pa.table({"id": [1, 2], "amount": [5.0, 6.0]}), keys=["ID"])
    assert rows(table) == [
        {"id": 1, "name": "a", "amount": 5.0, "dt": "d1"},
        {"id": 2, "name": None, "amount": 6.0, "dt": None},
    ]


def test_merge_within_partitions(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1"), (2, "b", 2.0, "d2"), (3, "c", 3.0, "d2")))
    result = table.merge(
        data((3, "C", 3.5, "d2"), (4, "d", 4.0, "d2")),
        keys=["id"],
        when_not_matched_by_source="delete",
        partition_values={"dt": ["d2"]},
    )
    # id 2 was in d2 and not in the source: deleted. id 1 is in d1, outside the merge: kept.
    assert (result.inserted, result.updated, result.deleted) == (1, 1, 1)
    assert ids(table) == [1, 3, 4]
    with pytest.raises(DataError, match="outside partition_values"):
        table.merge(data((5, "e", 5.0, "d3")), keys=["id"], partition_values={"dt": ["d2"]})


def test_merge_refusals(table: DeltaTable) -> None:
    source = data((1, "a", 1.0, "d1"))
    with pytest.raises(SchemaMismatch, match="nope"):
        table.merge(source, keys=["nope"])
    with pytest.raises(SchemaMismatch):  # the key must be in the data too
        table.merge(pa.table({"name": ["x"]}), keys=["id"])
    with pytest.raises(SchemaMismatch):  # partition_values only on partition columns
        table.merge(source, keys=["id"], partition_values={"name": ["a"]})
    assert table.version == 0


def test_merge_cast_failure_is_a_data_error_not_a_panic(table: DeltaTable) -> None:
    with pytest.raises(DataError) as caught:
        table.merge(pa.table({"id": pa.array([2**64 - 1], pa.uint64())}), keys=["id"])
    assert caught.value.column == "id"


def _model(
    target: dict[int, str], source: dict[int, str], matched: str, not_matched: str, by_source: str
) -> dict[int, str]:
    out = {}
    for key, value in target.items():
        if key in source:
            if matched == "update":
                out[key] = source[key]
            elif matched == "ignore":
                out[key] = value
        elif by_source == "keep":
            out[key] = value
    if not_matched == "insert":
        out.update({k: v for k, v in source.items() if k not in target})
    return out


COMBOS = [
    (m, n, b)
    for m in ("update", "ignore", "delete")
    for n in ("insert", "ignore")
    for b in ("keep", "delete")
    if (m, n, b) != ("ignore", "ignore", "keep")
]


@pytest.mark.parametrize(("matched", "not_matched", "by_source"), COMBOS)
def test_merge_clause_combinations(tmp_path: os.PathLike[str], matched: str, not_matched: str, by_source: str) -> None:
    t = DeltaTable(os.path.join(os.fspath(tmp_path), "t"))
    t.create(pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("v", pa.string())]))
    target = {1: "a", 2: "b", 3: "c"}
    source = {2: "B", 3: "C", 4: "D"}
    t.append(pa.table({"id": list(target), "v": list(target.values())}))
    result = t.merge(
        pl.DataFrame({"id": list(source), "v": list(source.values())}),
        keys=["id"],
        when_matched=matched,  # type: ignore[arg-type]
        when_not_matched=not_matched,  # type: ignore[arg-type]
        when_not_matched_by_source=by_source,  # type: ignore[arg-type]
    )
    expected = _model(target, source, matched, not_matched, by_source)
    got = {r["id"]: r["v"] for r in t.read().collect().to_dicts()}
    assert got == expected
    assert result.inserted == (1 if not_matched == "insert" else 0)
    assert result.updated == (2 if matched == "update" else 0)
    assert result.deleted == (2 if matched == "delete" else 0) + (1 if by_source == "delete" else 0)


# --- schema evolution and time travel -------------------------------------------------------


def test_add_columns_is_additive(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1")))
    before = table.version
    version = table.add_columns([pa.field("country", pa.string(), metadata={"comment": "ISO code"})])
    assert version == before + 1
    table.append(pa.table({"id": [2], "country": ["NL"], "dt": ["d1"]}))
    assert [(r["id"], r["country"]) for r in rows(table)] == [(1, None), (2, "NL")]
    assert table.schema.field("country").metadata == {b"comment": b"ISO code"}
    old = table.read(version=before).collect()
    assert old.columns == ["id", "name", "amount", "dt"]
    with pytest.raises(Refused, match="NOT NULL"):
        table.add_columns([pa.field("strict", pa.int32(), nullable=False)])
    with pytest.raises(SchemaMismatch, match="already has"):
        table.add_columns([pa.field("COUNTRY", pa.string())])


def test_time_travel_by_version(table: DeltaTable) -> None:
    table.append(data((1, "a", 1.0, "d1")))
    table.append(data((2, "b", 2.0, "d1")))
    table.merge(data((1, "A", 1.0, "d1")), keys=["id"])
    assert ids(table, version=0) == []
    assert ids(table, version=1) == [1]
    assert ids(table, version=2) == [1, 2]
    assert [r["name"] for r in rows(table, version=3)] == ["A", "b"]
    with pytest.raises(NoSuchVersion, match="no version 9; the latest is 3"):
        table.read(version=9)
    with pytest.raises(ValueError):
        table.read(version=1, as_of=dt.datetime.now())


def _after_this_second() -> dt.datetime:
    """Now, then wait into the next whole second: S3 keeps modification times in whole seconds,
    and Delta time travel goes by the log file's modification time."""
    stamp = dt.datetime.now(dt.timezone.utc)
    time.sleep(1.05 - stamp.microsecond / 1e6)
    return stamp


def test_time_travel_by_timestamp(table: DeltaTable) -> None:
    before_create = table.history()[-1].timestamp.timestamp() - 3600
    stamps = [_after_this_second()]
    table.append(data((1, "a", 1.0, "d1")))
    stamps.append(_after_this_second())
    table.append(data((2, "b", 2.0, "d1")))
    stamps.append(_after_this_second())
    assert ids(table, as_of=stamps[0]) == []
    assert ids(table, as_of=stamps[1]) == [1]
    assert ids(table, as_of=stamps[2].isoformat()) == [1, 2]
    assert ids(table, as_of=stamps[1].astimezone(dt.timezone.utc).replace(tzinfo=None)) == [1]  # naive = UTC
    with pytest.raises(NoSuchVersion, match="did not exist yet"):
        table.read(as_of=dt.datetime.fromtimestamp(before_create, dt.timezone.utc))
    with pytest.raises(ValueError, match="ISO 8601"):
        table.read(as_of="last tuesday")


# --- metadata -------------------------------------------------------------------------------


def test_metadata_changes_commit_with_metadata(table: DeltaTable) -> None:
    meta = {"plan_id": "p-2"}
    versions = [
        table.set_properties({"owner": "team-b", "delta.appendOnly": "false"}, commit_metadata=meta),
        table.set_description("All orders", commit_metadata=meta),
        table.set_column_comment("AMOUNT", "in EUR", commit_metadata=meta),
        table.drop_not_null("id", commit_metadata=meta),
        table.add_constraint("id_positive", "id > 0", commit_metadata=meta),
        table.drop_constraint("id_positive", commit_metadata=meta),
        table.set_column_comment("name", None, commit_metadata=meta),
    ]
    assert versions == [1, 2, 3, 4, 5, 6, 7]
    assert table.properties["owner"] == "team-b"
    assert table.description == "All orders"
    schema = table.schema
    assert schema.field("amount").metadata == {b"comment": b"in EUR"}
    assert not schema.field("name").metadata
    assert schema.field("id").nullable
    assert table.constraints == {}
    assert all(h.metadata["plan_id"] == "p-2" for h in table.history(7))


# --- vacuum ---------------------------------------------------------------------------------


def test_vacuum_respects_retention(table_uri: str, request: pytest.FixtureRequest) -> None:
    t = DeltaTable(table_uri)
    t.create(SCHEMA, properties={"delta.deletedFileRetentionDuration": "interval 3 seconds"})
    t.append(data((1, "a", 1.0, "d1")))  # v1: file A
    t.overwrite(data((2, "b", 2.0, "d1")))  # v2: file B, A removed
    time.sleep(3.5)
    t.overwrite(data((3, "c", 3.0, "d1")))  # v3: file C, B removed just now
    files_before = data_files(t, request)
    assert len(files_before) == 3

    with pytest.raises(Refused, match="shorter"):
        t.vacuum(retention=0)
    assert t.vacuum(retention=dt.timedelta(hours=1)).files == ()

    planned = t.vacuum()  # dry run by default, retention from the table property
    assert planned.dry_run and len(planned.files) == 1 and planned.bytes > 0
    assert data_files(t, request) == files_before
    assert t.version == 3

    done = t.vacuum(dry_run=False, commit_metadata={"plan_id": "v"})
    assert done.files == planned.files and done.bytes == planned.bytes and not done.dry_run
    assert data_files(t, request) == files_before - set(planned.files)
    assert t.history(1)[0].metadata["plan_id"] == "v"
    assert ids(t, version=2) == [2]  # B was removed inside the retention window: still readable
    with pytest.raises(NoSuchVersion, match="vacuum deleted"):
        t.read(version=1)

    version = t.version
    again = t.vacuum(dry_run=False)
    assert again.files == () and again.bytes == 0
    assert t.version == version  # nothing to delete, nothing committed
