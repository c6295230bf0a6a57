"""tablespec.DeltaTable's pieces that need no table: argument checks, data conversion, SQL text,
commit properties and error translation. deltalake is mocked only for failures a real table
cannot be made to show on demand (a commit that runs out of retries)."""

from __future__ import annotations

import datetime as dt
import os

import deltalake
import polars as pl
import pyarrow as pa
import pytest
from deltalake.exceptions import CommitFailedError, DeltaError, SchemaMismatchError, TableNotFoundError

from tablespec import __version__
from tablespec.config import CLIENT_DEFAULTS
from tablespec.delta import commit, translate, vacuum
from tablespec.delta import sql as ops
from tablespec.delta.conform import conform, fits, input_error, is_replayable, is_streamed, plan_columns, to_reader
from tablespec.delta.snapshots import relative
from tablespec.delta.table import AppTransaction, DeltaTable
from tablespec.errors import (
    ConcurrentModification,
    DataError,
    Refused,
    SchemaMismatch,
    StorageError,
    TableNotFound,
)
from tablespec.model.durations import parse_timestamp

TARGET = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("amount", pa.decimal128(18, 2)),
        pa.field("tags", pa.list_(pa.field("element", pa.string()))),
    ]
)


# --- input conversion -------------------------------------------------------------------------


class _Stream:
    """Any object speaking the Arrow C stream protocol."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pl.DataFrame({"id": [1, 2]}),
        lambda: pl.LazyFrame({"id": [1, 2]}),
        lambda: pa.table({"id": [1, 2]}),
        lambda: pa.record_batch({"id": [1, 2]}),
        lambda: pa.table({"id": [1, 2]}).to_reader(),
        lambda: _Stream(pa.table({"id": [1, 2]})),
    ],
    ids=["polars", "lazy", "table", "batch", "reader", "c-stream"],
)
def test_every_input_becomes_a_reader(make: object) -> None:
    reader = to_reader(make())  # type: ignore[operator]
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.read_all().column("id").to_pylist() == [1, 2]


def test_a_lazyframe_is_streamed_batch_by_batch() -> None:
    calls = []

    def count(frame: pl.DataFrame) -> pl.DataFrame:
        calls.append(frame.height)
        return frame

    lazy = pl.LazyFrame({"id": list(range(10))}).map_batches(count)
    reader = to_reader(lazy)
    assert calls == []  # nothing ran yet: the query runs as batches are pulled
    assert reader.read_all().num_rows == 10
    assert sum(calls) == 10


def test_input_kinds() -> None:
    table = pa.table({"id": [1]})
    assert is_streamed(table.to_reader()) and is_streamed(pl.LazyFrame(table))
    assert not is_streamed(table) and not is_streamed(pl.DataFrame(table))
    assert is_replayable(table) and is_replayable(pl.LazyFrame(table)) and is_replayable(pl.DataFrame(table))
    assert not is_replayable(table.to_reader())
    with pytest.raises(TypeError, match="polars DataFrame"):
        to_reader([{"id": 1}])


# --- schema check -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        (pa.int32(), pa.int64(), True),
        (pa.int64(), pa.int32(), False),
        (pa.float32(), pa.float64(), True),
        (pa.int64(), pa.float64(), False),
        (pa.large_string(), pa.string(), True),
        (pa.string_view(), pa.string(), True),
        (pa.null(), pa.int64(), True),
        (pa.decimal128(10, 2), pa.decimal128(18, 2), True),
        (pa.decimal128(18, 3), pa.decimal128(18, 2), False),
        (pa.timestamp("ns", "UTC"), pa.timestamp("us", "UTC"), True),
        (pa.timestamp("us"), pa.timestamp("us", "UTC"), False),  # naive is not UTC by assumption
        (pa.large_list(pa.field("item", pa.large_string(), nullable=False)), TARGET.field("tags").type, True),
        (pa.struct([("a", pa.int64())]), pa.struct([pa.field("a", pa.int64(), nullable=False)]), True),
        (pa.int64(), pa.string(), False),
        (pa.time64("us"), pa.string(), False),
    ],
)
def test_fits(source: pa.DataType, target: pa.DataType, ok: bool) -> None:
    assert fits(source, target) is ok


def test_plan_reports_missing_extra_and_different_together() -> None:
    source = pa.schema([("NAME", pa.int64()), ("extra", pa.string()), ("amount", pa.decimal128(18, 2))])
    with pytest.raises(SchemaMismatch) as caught:
        plan_columns(source, TARGET, fill_missing=True)
    error = caught.value
    assert (error.missing, error.extra, error.different) == (("id",), ("extra",), ("name",))
    assert "long does not fit string" in str(error)


def test_plan_fills_only_nullable_columns_and_honours_required() -> None:
    plans = plan_columns(pa.schema([("ID", pa.int32())]), TARGET, fill_missing=True)
    assert [(p.target.name, p.source) for p in plans] == [
        ("id", "ID"),
        ("name", None),
        ("amount", None),
        ("tags", None),
    ]
    plans = plan_columns(pa.schema([("name", pa.string())]), TARGET, fill_missing=False)
    assert [p.target.name for p in plans] == ["name"]
    with pytest.raises(SchemaMismatch) as caught:
        plan_columns(pa.schema([("name", pa.string())]), TARGET, fill_missing=False, required=("id",))
    assert caught.value.missing == ("id",)


def test_plan_rejects_columns_given_twice() -> None:
    with pytest.raises(SchemaMismatch, match="more than once"):
        plan_columns(pa.schema([("id", pa.int64()), ("ID", pa.int64())]), TARGET, fill_missing=True)


def test_conform_renames_reorders_casts_fills_and_counts() -> None:
    source = pa.table({"TAGS": [["a"]], "Id": pa.array([7], pa.int32()), "name": pa.array(["x"], pa.large_string())})
    feed = conform(source.to_reader(), TARGET, fill_missing=True)
    out = feed.reader.read_all()
    assert out.schema.names == ["id", "name", "amount", "tags"]
    assert out.schema.field("id").type == pa.int64() and out.schema.field("name").type == pa.string()
    assert out.to_pylist() == [{"id": 7, "name": "x", "amount": None, "tags": ["a"]}]
    assert feed.rows == 1 and feed.columns == ("id", "name", "amount", "tags")


def test_conform_records_a_failing_cast_as_a_data_error() -> None:
    source = pa.table({"id": pa.array([2**64 - 1], pa.uint64())})
    feed = conform(source.to_reader(), TARGET, fill_missing=True)
    with pytest.raises(pa.ArrowInvalid):
        feed.reader.read_all()
    error = input_error(feed.error, "append")  # type: ignore[arg-type]
    assert isinstance(error, DataError) and error.column == "id"


def test_conform_runs_the_batch_check() -> None:
    def refuse(batch: pa.RecordBatch) -> None:
        raise DataError("no")

    feed = conform(pa.table({"id": [1]}).to_reader(), TARGET, fill_missing=True, check=refuse)
    with pytest.raises(DataError):
        feed.reader.read_all()
    assert isinstance(input_error(feed.error, "merge"), DataError)  # type: ignore[arg-type]


# --- SQL text ---------------------------------------------------------------------------------


def test_identifiers_and_literals_are_escaped() -> None:
    assert ops.quote("order id") == "`order id`"
    assert ops.quote("we`ird") == "`we``ird`"
    assert ops.literal("O'Brien") == "'O''Brien'"
    assert ops.literal(dt.date(2024, 1, 31)) == "'2024-01-31'"
    assert (ops.literal(3), ops.literal(True), ops.literal(None)) == ("3", "true", "NULL")
    with pytest.raises(TypeError):
        ops.literal(object())


def test_merge_and_partition_predicates() -> None:
    parts = ops.partition_predicate("t", {"dt": ["2024-01-01", "x'); DROP", None], "region": ["eu"]})
    assert parts == "(t.`dt` IN ('2024-01-01', 'x''); DROP') OR t.`dt` IS NULL) AND t.`region` IN ('eu')"
    assert ops.merge_predicate(["id", "we`ird"]) == "t.`id` = s.`id` AND t.`we``ird` = s.`we``ird`"
    assert ops.merge_predicate(["id"], "t.`dt` IN ('a')") == "t.`id` = s.`id` AND t.`dt` IN ('a')"
    with pytest.raises(ValueError, match="empty"):
        ops.partition_predicate("t", {"dt": []})


def test_resolve_columns_is_case_insensitive() -> None:
    assert ops.resolve_columns(["ID", "Name"], ["id", "name"], what="key(s)") == ["id", "name"]
    with pytest.raises(SchemaMismatch, match="key\\(s\\) nope not in the table"):
        ops.resolve_columns(["nope"], ["id"], what="key(s)")


# --- commit properties and retention ----------------------------------------------------------


def test_every_commit_carries_version_metadata_retries_and_transactions() -> None:
    props = commit.commit_properties({"plan_id": "p"}, [AppTransaction("loader", 4)])
    assert props.custom_metadata == {"tablespec.version": __version__, "plan_id": "p"}
    assert props.max_commit_retries == commit.MAX_COMMIT_RETRIES >= 50
    [txn] = props.app_transactions
    assert (txn.app_id, txn.version) == ("loader", 4)
    assert commit.commit_properties().app_transactions is None


def test_retention() -> None:
    assert vacuum.retention_seconds(dt.timedelta(days=7)) == 7 * 86400
    assert vacuum.retention_seconds(2) == 7200
    with pytest.raises(ValueError):
        vacuum.retention_seconds(-1)
    assert vacuum.table_retention_seconds({}) == 7 * 86400
    assert vacuum.table_retention_seconds({"delta.deletedFileRetentionDuration": "interval 2 days"}) == 2 * 86400
    assert vacuum.table_retention_seconds({"delta.deletedFileRetentionDuration": "garbage"}) == 7 * 86400


def test_parse_timestamp() -> None:
    utc = dt.timezone.utc
    assert parse_timestamp("2024-01-31T12:00:00Z") == dt.datetime(2024, 1, 31, 12, tzinfo=utc)
    assert parse_timestamp(dt.datetime(2024, 1, 31)) == dt.datetime(2024, 1, 31, tzinfo=utc)
    assert parse_timestamp(dt.date(2024, 1, 31)) == dt.datetime(2024, 1, 31, tzinfo=utc)
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_timestamp("yesterday")
    with pytest.raises(TypeError):
        parse_timestamp(1700000000)  # type: ignore[arg-type]


def test_relative_paths() -> None:
    assert relative("s3://b/t/dt=1/part.parquet", "s3://b/t/", "s3://b/t") == "dt=1/part.parquet"
    assert relative("/data/t/part.parquet", "file:///data/t/", "/data/t") == "part.parquet"
    assert relative("part.parquet", "file:///data/t/", "/data/t") == "part.parquet"


# --- error translation ------------------------------------------------------------------------


def _translate(error: BaseException, uri: str = "/w/t", secrets: tuple[str, ...] = ()) -> Exception:
    return translate.translate(error, table="sales.orders", uri=uri, operation="append", secrets=secrets)


def test_deltalake_errors_map_to_tablespec_errors() -> None:
    assert isinstance(_translate(TableNotFoundError("no log")), TableNotFound)
    assert isinstance(_translate(SchemaMismatchError("fields differ")), SchemaMismatch)
    assert isinstance(_translate(DeltaError("Invalid data found: 1 rows failed validation check")), DataError)
    assert isinstance(_translate(DeltaError("Arrow error: Cast error: bad")), DataError)
    assert isinstance(_translate(OSError("connection refused")), StorageError)
    conflict = _translate(CommitFailedError("Commit failed: a concurrent transactions added new data"))
    assert isinstance(conflict, ConcurrentModification)
    assert translate.is_retryable_conflict(CommitFailedError("Commit failed: Metadata changed since last commit"))
    exhausted = _translate(CommitFailedError("Failed to commit transaction: 100"))
    assert isinstance(exhausted, ConcurrentModification) and "kept committing first" in str(exhausted)
    assert not translate.is_retryable_conflict(CommitFailedError("Failed to commit transaction: 100"))


def test_messages_name_the_table_and_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value")
    error = OSError("\x1b[31m↳\x1b[0m GET http://user:pw@host/b failed for key opt-secret-value and env-secret-value")
    text = str(_translate(error, uri="s3://b/t", secrets=("opt-secret-value",)))
    assert text.startswith("append on table sales.orders (s3://b/t) failed:")
    assert "opt-secret-value" not in text and "env-secret-value" not in text and "pw@" not in text
    assert "\x1b[" not in text
    assert "AWS_ENDPOINT_URL" in text  # the S3 hint


# --- DeltaTable argument checks (no storage touched) -----------------------------------------


def test_storage_options_default_to_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    remote = DeltaTable("s3://lake/dev/orders")
    assert remote.storage_options["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert remote.storage_options["AWS_ALLOW_HTTP"] == "true"
    assert remote.name == "s3://lake/dev/orders"
    assert DeltaTable("/tmp/x", name="n").storage_options == {}
    # given options are kept as they are, plus the client limits they do not set (issue 13.7)
    assert DeltaTable("s3://lake/x", {"AWS_REGION": "x"}).storage_options == {"AWS_REGION": "x", **CLIENT_DEFAULTS}


@pytest.fixture
def nowhere(tmp_path: os.PathLike[str]) -> DeltaTable:
    """A table that does not exist: every check below must fail before storage is touched."""
    return DeltaTable(os.path.join(os.fspath(tmp_path), "absent"), name="t")


def test_merge_argument_checks(nowhere: DeltaTable) -> None:
    data = pa.table({"id": [1]})
    with pytest.raises(Refused, match="would change nothing"):
        nowhere.merge(data, keys=["id"], when_matched="ignore", when_not_matched="ignore")
    with pytest.raises(ValueError, match="when_matched must be one of"):
        nowhere.merge(data, keys=["id"], when_matched="upsert")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="when_not_matched_by_source"):
        nowhere.merge(data, keys=["id"], when_not_matched_by_source="drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one key"):
        nowhere.merge(data, keys=[])


def test_other_argument_checks(nowhere: DeltaTable) -> None:
    with pytest.raises(Refused, match="NOT NULL"):
        nowhere.add_columns([pa.field("x", pa.int32(), nullable=False)])
    with pytest.raises(TypeError):
        nowhere.add_columns(["x"])
    with pytest.raises(TypeError, match="strings"):
        nowhere.set_properties({"delta.appendOnly": True})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="add_constraint"):
        nowhere.set_properties({"delta.constraints.c": "x > 0"})
    with pytest.raises(ValueError, match="not both"):
        nowhere.read(version=1, as_of="2024-01-01")
    with pytest.raises(ValueError):
        nowhere.history(limit=0)
    with pytest.raises(TypeError):
        nowhere.create({"id": "long"})  # type: ignore[arg-type]
    with pytest.raises(SchemaMismatch, match="partition"):
        nowhere.create(pa.schema([("id", pa.int64())]), partition_by=["dt"])
    assert not os.path.exists(nowhere.uri)


def test_exhausted_commit_retries_become_concurrent_modification(
    tmp_path: os.PathLike[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    table = DeltaTable(os.path.join(os.fspath(tmp_path), "t"), name="t")
    table.create(pa.schema([("id", pa.int64())]))

    def always_loses(*args: object, **kwargs: object) -> None:
        raise CommitFailedError("Failed to commit transaction: 100")

    monkeypatch.setattr(deltalake, "write_deltalake", always_loses)
    with pytest.raises(ConcurrentModification, match="append on table t") as caught:
        table.append(pa.table({"id": [1]}))
    assert isinstance(caught.value.__cause__, CommitFailedError)


def test_conflicting_write_is_redone_only_without_exactly_once_markers(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write carrying app transactions must not be replayed on a new snapshot: the writer that
    won the conflict may have loaded the same files (the loader re-plans instead)."""
    table = DeltaTable(str(tmp_path / "t"), {})
    table.create(pa.schema([pa.field("id", pa.int64())]))
    calls = []

    def conflicting_write(*args: object, **kwargs: object) -> None:
        calls.append(kwargs.get("commit_properties"))
        raise CommitFailedError("Commit failed: a concurrent transactions added new data")

    monkeypatch.setattr(deltalake, "write_deltalake", conflicting_write)
    monkeypatch.setattr("tablespec.delta.handle.time.sleep", lambda _s: None)
    data = pa.table({"id": pa.array([1], pa.int64())})
    with pytest.raises(ConcurrentModification):
        table.append(data, app_transactions=[AppTransaction("tablespec/s/content/x", 1)])
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ConcurrentModification):
        table.append(data)
    assert len(calls) > 1
