"""show / history / read (tablespec.inspect.show) against real tables: written by tablespec, by plain
deltalake, and by "other engines" (hand-made fixtures: Spark column mapping with a rename and a
checkpoint, deletion vectors, generated and identity columns, a variant column), on local folders
and on the moto S3 server. Every test also proves the table was not written to."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from fixtures.helpers import (
    ALL_FIXTURES,
    bucket_tree,
    copy_fixture,
    deltalake_table,
    tablespec_table,
    tree,
    upload_fixture,
)

from tablespec.errors import NoSuchVersion, NotADeltaTable, TableNotFound, UsageError
from tablespec.inspect.rows import read_rows
from tablespec.inspect.show import describe, history


@pytest.fixture
def fixture_copy(tmp_path):
    def make(name: str) -> str:
        return copy_fixture(name, os.path.join(tmp_path, name))

    return make


# --- tables written by tablespec ------------------------------------------------------------


def test_show_history_read_on_a_table_written_by_tablespec(table_uri, tmp_path):
    tablespec_table(table_uri)
    info = describe(table_uri, name="sales.orders", sources=["daily", "seed"])
    assert info.version == 3 and info.name == "sales.orders"
    assert [(c.name, c.type, c.nullable, c.comment) for c in info.columns][:2] == [
        ("order_id", "long", False, "Primary key"), ("amount", "decimal(18,2)", True, None)]
    assert info.columns[3].type == "struct<name:string,since:date>"
    assert info.partitioned_by == ("dt",)
    assert dict(info.properties)["delta.enableChangeDataFeed"] == "true"
    assert "amount_not_negative" in dict(info.constraints)
    assert not any(k.startswith("delta.constraints.") for k, _ in info.properties)
    assert info.num_files == 2 and info.num_records == 5 and info.size_bytes > 0 and info.num_partitions == 2
    assert info.description == "Orders placed in the web shop"
    loads = {load.source: load for load in info.loads}
    assert loads["daily"].files == 2
    assert loads["daily"].paths == ("orders-2026-01-01.parquet", "orders-2026-01-02.parquet")
    assert loads["daily"].last_load_version == 3
    assert loads["seed"].files == 0 and loads["seed"].seeded is None  # declared in the spec, nothing loaded

    commits = history(table_uri)
    assert [c.version for c in commits] == [3, 2, 1, 0]
    assert commits[0].operation == "WRITE" and commits[0].rows_added == 2 and commits[0].files_added == 1
    assert commits[0].tablespec_dict["tablespec.plan_id"] == "p-1234"
    assert commits[0].tablespec_dict["tablespec.spec_hash"] == "sha256:abcdef0123456789"
    assert "tablespec.version" in commits[-1].tablespec_dict
    assert [c.version for c in history(table_uri, limit=2)] == [3, 2]

    rows = read_rows(table_uri).frame.sort("order_id")
    assert rows["order_id"].to_list() == [1, 2, 3, 4, 5]
    assert read_rows(table_uri, version=2).frame.height == 3
    picked = read_rows(table_uri, columns=["AMOUNT", "order_id"], where="order_id >= 4").frame
    assert picked.columns == ["amount", "order_id"] and sorted(picked["order_id"].to_list()) == [4, 5]


def test_nothing_is_written_locally(tmp_path):
    uri = os.path.join(tmp_path, "t")
    tablespec_table(uri)
    before = tree(uri)
    describe(uri)
    history(uri)
    read_rows(uri, version=0)
    read_rows(uri, where="order_id > 1", limit=1)
    assert tree(uri) == before


# --- plain deltalake, checkpoints, many commits ------------------------------------------------


def test_plain_deltalake_table_with_other_writers_transactions(table_uri):
    deltalake_table(table_uri)
    info = describe(table_uri)
    assert info.loads == ()
    assert dict(info.other_app_transactions) == {"spark-stream-42": 2}
    assert info.checkpoint_version == 4
    assert dict(info.properties)["delta.checkpointInterval"] == "1000"
    assert info.columns[1].comment == "in EUR" and info.description == "written by deltalake"
    ops = [c.operation for c in history(table_uri)]
    assert ops[0] == "UPDATE TABLE METADATA" and ops.count("WRITE") == 3


def test_many_commits_with_checkpoints_and_log_cleanup(tmp_path):
    from deltalake import DeltaTable as Raw

    uri = os.path.join(tmp_path, "many")
    table = tablespec_table(uri)
    from fixtures.helpers import orders

    from tablespec.delta.table import AppTransaction
    from tablespec.planning.exactly_once import PREFIX

    for i in range(25):
        table.append(orders([100 + i]), app_transactions=[AppTransaction(f"{PREFIX}/hourly/content/{i:064x}", 1)])
        if i in (8, 17):
            Raw(uri).create_checkpoint()
    info = describe(uri)
    assert info.version == 28 and info.checkpoint_version == 21
    assert {load.source: load.files for load in info.loads} == {"daily": 2, "hourly": 25}
    assert len(history(uri)) == 29 and [c.version for c in history(uri, limit=3)] == [28, 27, 26]

    # Log cleanup removes commits before a checkpoint: those versions are gone, later ones stay.
    before = tree(uri)
    for v in range(12):
        os.remove(os.path.join(uri, "_delta_log", f"{v:020d}.json"))
    info = describe(uri)
    assert info.earliest_version == 12 and {load.source: load.files for load in info.loads}["hourly"] == 25
    assert [c.version for c in history(uri)][-1] == 12
    with pytest.raises(NoSuchVersion, match="log cleanup.*oldest readable version is 12"):
        read_rows(uri, version=3)
    assert read_rows(uri, version=12).version == 12
    assert set(tree(uri)) == set(before) - {f"_delta_log/{v:020d}.json" for v in range(12)}


def test_vacuumed_version_is_a_clear_error(tmp_path):
    from deltalake import DeltaTable as Raw
    from deltalake import write_deltalake
    from fixtures.helpers import orders

    uri = os.path.join(tmp_path, "vac")
    for i in range(3):
        write_deltalake(uri, orders([i]), mode="overwrite")
    Raw(uri).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    assert read_rows(uri).frame["order_id"].to_list() == [2]
    with pytest.raises(NoSuchVersion, match="vacuum"):
        read_rows(uri, version=0)


# --- other engines (hand-made fixtures) --------------------------------------------------------


def test_spark_column_mapping_rename_and_checkpoint(fixture_copy):
    uri = fixture_copy("spark_column_mapping")
    before = tree(uri)
    info = describe(uri)
    assert info.version == 4 and info.checkpoint_version == 3 and info.min_reader_version == 2
    assert [c.name for c in info.columns] == ["Order Id", "total", "customer", "tags", "region"]
    assert dict(info.columns[0].metadata)["delta.columnMapping.physicalName"].startswith("col-")
    assert dict(info.constraints) == {"total_not_negative": "total >= 0"}
    assert info.description == "Orders from the Spark job"
    # the streaming writer's txn lives in the checkpoint, not in a commit after it
    assert dict(info.other_app_transactions) == {"9d1c0ab8-5d3e-4c8e-9a62-1f0c6e7d2b11": 7}
    assert info.first_engine.startswith("Apache-Spark")

    commits = history(uri)
    assert [c.operation for c in commits] == ["WRITE", "ADD CONSTRAINT", "RENAME COLUMN", "STREAMING UPDATE",
                                              "CREATE TABLE AS SELECT"]
    assert commits[-1].rows_added == 3 and commits[-1].files_added == 1 and commits[0].user == "etl@example.com"
    assert commits[-1].timestamp == "2023-11-14T22:13:20.000Z"

    now = read_rows(uri).frame.sort("Order Id")
    assert now["Order Id"].to_list() == [1, 2, 3, 4, 5, 6]
    assert [str(x) for x in now["total"].to_list()][:2] == ["1.25", "2.25"]
    assert now["customer"].to_list()[0] == {"name": "c1", "tier": 1}
    # before the rename the column was called amount; the physical data is the same
    old = read_rows(uri, version=1, columns=["amount"]).frame
    assert old.columns == ["amount"] and old.height == 5
    assert read_rows(uri, where='"Order Id" > 4 AND region = \'us\'').frame["Order Id"].to_list() == [5]
    assert tree(uri) == before


def test_spark_deletion_vectors(fixture_copy):
    uri = fixture_copy("spark_deletion_vectors")
    info = describe(uri)
    assert "deletionVectors" in info.reader_features and info.min_reader_version == 3
    assert read_rows(uri).frame.sort("id")["id"].to_list() == [1, 3, 5]
    assert read_rows(uri, version=0).frame.height == 5
    assert history(uri)[0].rows_removed == 2
    assert read_rows(uri).frame.schema["seen_at"].time_zone is None  # timestamp_ntz stays naive


def test_generated_identity_and_nested_columns(fixture_copy):
    uri = fixture_copy("spark_generated_identity")
    info = describe(uri)
    meta = {c.name: dict(c.metadata) for c in info.columns}
    assert meta["year"]["delta.generationExpression"] == "YEAR(day)"
    assert "delta.identity.start" in meta["id"]
    assert [c.type for c in info.columns][-2:] == ["struct<x:double,y:double>", "map<string,long>"]
    frame = read_rows(uri).frame.sort("id")
    assert frame["year"].to_list() == [2024, 2024, 2024]
    assert frame["point"].to_list()[1] == {"x": 3.0, "y": None}


def test_unsupported_type_is_shown_not_hidden(fixture_copy):
    info = describe(fixture_copy("unsupported_variant"))
    payload = info.columns[1]
    assert payload.name == "payload" and payload.type == "variant" and payload.supported is False


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_can_be_described_and_read(fixture_copy, name):
    uri = fixture_copy(name)
    assert describe(uri).version >= 0
    assert read_rows(uri, limit=2).frame.height <= 2


# --- time travel by timestamp ----------------------------------------------------------------


def test_as_of_uses_commit_times(fixture_copy):
    uri = fixture_copy("spark_column_mapping")  # commits at T0 + version minutes
    t0 = dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.timezone.utc)
    assert read_rows(uri, as_of=t0).version == 0
    assert read_rows(uri, as_of=t0 + dt.timedelta(seconds=90)).version == 1
    assert read_rows(uri, as_of="2023-11-14T22:15:20Z").version == 2  # exactly at commit 2
    assert read_rows(uri, as_of="2023-11-14T22:15:19.999Z").version == 1
    assert read_rows(uri, as_of="2030-01-01").version == 4
    with pytest.raises(Exception, match="did not exist yet|before"):
        read_rows(uri, as_of="2023-11-14T22:00:00Z")
    with pytest.raises(UsageError, match="ISO 8601"):
        read_rows(uri, as_of="yesterday")


# --- errors ------------------------------------------------------------------------------------


def test_missing_and_non_delta_locations(tmp_path):
    with pytest.raises(TableNotFound):
        describe(os.path.join(tmp_path, "nothing"))
    plain = os.path.join(tmp_path, "plain")
    os.makedirs(plain)
    with open(os.path.join(plain, "data.csv"), "w") as f:
        f.write("a\n1\n")
    for call in (describe, history, read_rows):
        with pytest.raises(NotADeltaTable):
            call(plain)


def test_bad_read_arguments(fixture_copy):
    uri = fixture_copy("spark_deletion_vectors")
    with pytest.raises(UsageError, match="no column 'nope'"):
        read_rows(uri, columns=["nope"])
    with pytest.raises(UsageError, match="not a valid SQL expression"):
        read_rows(uri, where="id >")
    with pytest.raises(UsageError, match="unknown column 'idd'"):
        read_rows(uri, where="idd = 1")
    with pytest.raises(NoSuchVersion, match="no version 9; its versions are 0 to 1"):
        read_rows(uri, version=9)
    with pytest.raises(UsageError):
        read_rows(uri, version=0, as_of="2024-01-01")


# --- S3 ----------------------------------------------------------------------------------------


@pytest.mark.s3
def test_fixture_on_s3_is_read_and_not_written(s3_server, s3_bucket, s3_storage_options):
    client = s3_server.client()
    uri = upload_fixture("spark_column_mapping", client, s3_bucket, "spark/orders")
    before = bucket_tree(client, s3_bucket)
    info = describe(uri, s3_storage_options)
    assert info.version == 4 and dict(info.other_app_transactions)
    assert len(history(uri, s3_storage_options)) == 5
    assert read_rows(uri, s3_storage_options, version=1, columns=["amount"]).frame.height == 5
    assert read_rows(uri, s3_storage_options).frame.height == 6
    assert bucket_tree(client, s3_bucket) == before


@pytest.mark.s3
def test_missing_table_on_s3(s3_bucket, s3_storage_options):
    with pytest.raises(TableNotFound):
        describe(f"s3://{s3_bucket}/nothing", s3_storage_options)


# --- the log reader (tablespec.delta.log) on layouts delta-rs does not write ----------------------


def _log_fs(tmp_path, files: dict[str, str]):
    import pyarrow.fs as pafs

    root = tmp_path / "t"
    for name, text in files.items():
        path = root / "_delta_log" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return pafs.SubTreeFileSystem(str(root), pafs.LocalFileSystem())


def test_log_listing_multipart_v2_and_cleanup(tmp_path):
    from tablespec.delta import log as deltalog

    v = "{:020d}".format
    fs = _log_fs(tmp_path, {
        f"{v(5)}.checkpoint.0000000001.0000000002.parquet": "", f"{v(5)}.checkpoint.0000000002.0000000002.parquet": "",
        f"{v(8)}.checkpoint.0000000001.0000000002.parquet": "",  # incomplete: ignored
        **{f"{v(i)}.json": "{}" for i in range(3, 11)},
        f"{v(4)}.{v(6)}.compacted.json": "", f"{v(6)}.crc": "", "_last_checkpoint": "{}",
    })
    listing = deltalog.list_log(fs)
    assert sorted(listing.checkpoints) == [5] and len(listing.checkpoints[5]) == 2
    assert listing.latest == 10 and listing.earliest_readable() == 5 and listing.last_checkpoint(4) is None
    stamps = listing.commit_timestamps()
    assert all(stamps[a] < stamps[a + 1] for a in range(3, 10))  # strictly increasing even for equal mtimes


def test_app_transactions_from_a_v2_json_checkpoint(tmp_path):
    import json as js

    from tablespec.delta import log as deltalog

    v = "{:020d}".format
    line = js.dumps
    fs = _log_fs(tmp_path, {
        f"{v(2)}.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json": "\n".join([
            line({"checkpointMetadata": {"version": 2}}),
            line({"txn": {"appId": "tablespec/daily/content/aa", "version": 1, "lastUpdated": 5}}),
            line({"txn": {"appId": "stream", "version": 3}}),
            line({"sidecar": {"path": "x.parquet", "sizeInBytes": 1, "modificationTime": 1}}),
        ]),
        f"{v(2)}.json": "{}",
        f"{v(3)}.json": line({"txn": {"appId": "stream", "version": 4}}) + "\n" + line({"commitInfo": {}}),
    })
    txns = deltalog.app_transactions(fs, deltalog.list_log(fs), 3)
    assert {k: (t.version, t.commit_version) for k, t in txns.items()} == {
        "stream": (4, 3), "tablespec/daily/content/aa": (1, None)}
    assert txns["tablespec/daily/content/aa"].last_updated == 5
