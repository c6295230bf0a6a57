"""Loads into real Delta tables, on local disk and on the S3 server: every mode and merge clause,
exactly-once re-runs, bad data, pruned merges, and predicate injection."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tablespec.delta.arrow import arrow_field
from tablespec.delta.commit import CommitInfo
from tablespec.delta.table import DeltaTable
from tablespec.errors import DataError
from tablespec.loads.execute import LoadOutcome, LoadProgress, execute_load, seed_transactions
from tablespec.model.actions import LoadSource
from tablespec.model.spec import ColumnSpec, MergeSpec, SourceSpec, TableSpec
from tablespec.planning import exactly_once as loadplan
from tablespec.sources.discover import discover

META = {"tablespec.plan_id": "test-plan", "tablespec.spec_hash": "sha256:test"}
COLUMNS = (ColumnSpec("id", "long", False), ColumnSpec("v", "string"), ColumnSpec("dt", "date"))


# --- helpers: what plan + apply do for loads -----------------------------------------------------


def make_spec(uri: str, data: Path | str, *, mode: str = "append", columns: tuple[ColumnSpec, ...] = COLUMNS,
              partitioned_by: tuple[str, ...] = (), pattern: str = "*.csv", fmt: str = "csv",
              merge: MergeSpec | None = None, **source: Any) -> TableSpec:  # fmt: skip
    if mode == "merge" and merge is None:
        merge = MergeSpec(keys=("id",))
    resolved = f"{data}/{pattern}" if pattern else str(data)
    src = SourceSpec(name="daily", path=pattern, resolved=resolved, format=fmt, mode=mode, merge=merge, **source)  # type: ignore[arg-type]
    return TableSpec(
        name="test.t", location=uri, uri=uri, columns=columns, partitioned_by=partitioned_by, sources=(src,)
    )


def create(spec: TableSpec) -> DeltaTable:
    """Create the table as apply does: the create commit carries the seed markers."""
    schema = pa.schema([arrow_field(c.name, c.type, nullable=c.nullable) for c in spec.columns])
    table = DeltaTable(spec.uri, name=spec.name)
    seeds = seed_transactions(spec)
    if "app_transactions" in inspect.signature(table.create).parameters:
        table.create(schema, partition_by=spec.partitioned_by, commit_metadata=META, app_transactions=seeds)
    else:  # until tablespec.DeltaTable.create takes app_transactions
        from deltalake import CommitProperties
        from deltalake import DeltaTable as Raw

        Raw.create(spec.uri, schema, partition_by=list(spec.partitioned_by) or None,
                   storage_options=table.storage_options or None,
                   commit_properties=CommitProperties(custom_metadata=META, app_transactions=[s.to_delta() for s in seeds]))  # fmt: skip
    return table


def plan(table: DeltaTable, spec: TableSpec, *, exists: bool = True) -> LoadSource | None:
    source = spec.sources[0]
    files = discover(source, storage_options=table.storage_options if _remote(source) else {})
    versions = {i: table.app_transaction_version(i) for i in loadplan.app_ids_for(source, files)} if exists else {}
    return loadplan.plan_load(spec.name, source, files, versions, table_exists=exists)


def load(table: DeltaTable, spec: TableSpec, **kw: Any) -> LoadOutcome | None:
    action = plan(table, spec)
    if action is None:
        return None
    opts = table.storage_options if _remote(spec.sources[0]) else {}
    return execute_load(table, spec, action, commit_metadata=META, storage_options=opts, **kw)


def _remote(source: SourceSpec) -> bool:
    return source.resolved.startswith("s3://")


def rows(table: DeltaTable, *columns: str) -> list[tuple[Any, ...]]:
    frame = table.read().collect()
    cols = columns or tuple(frame.columns)
    return sorted(frame.select(cols).iter_rows(), key=lambda r: tuple(str(v) for v in r))


def csv(folder: Path, name: str, *lines: str, header: str = "id,v,dt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join((header, *lines)) + "\n")
    return path


def last_commit(table: DeltaTable) -> CommitInfo:
    return table.history(1)[0]


D1, D2 = dt.date(2026, 1, 1), dt.date(2026, 1, 2)


# --- append ----------------------------------------------------------------------------------


def test_append_exactly_once(table_uri: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01", "2,b,2026-01-02")
    csv(data, "b.csv", "3,c,2026-01-01")
    spec = make_spec(table_uri, data, partitioned_by=("dt",))
    table = create(spec)
    events: list[LoadProgress] = []
    outcome = load(table, spec, progress=events.append)
    assert outcome is not None
    assert (outcome.files, outcome.rows_read, outcome.inserted, outcome.version) == (2, 3, 3, 1)
    assert events[-1].done and events[-1].file_index == 2 and events[-1].file_count == 2
    # one commit, carrying the plan's metadata and two app transactions per file
    commit = last_commit(table)
    assert commit.metadata["tablespec.plan_id"] == "test-plan" and commit.metadata["tablespec.source"] == "daily"
    for f in discover(spec.sources[0], storage_options={}):
        assert table.app_transaction_version(loadplan.content_app_id(spec.sources[0], f.digest)) == 1
    # re-run: nothing to do, nothing committed
    assert plan(table, spec) is None
    assert table.version == 1
    # an edited file is "changed" and loads again; the other stays loaded
    csv(data, "b.csv", "3,c,2026-01-01", "4,d,2026-01-02")
    action = plan(table, spec)
    assert action is not None and [p.reason for p in action.files] == ["already loaded", "changed"]
    outcome = load(table, spec)
    assert outcome is not None and outcome.inserted == 2
    assert rows(table, "id", "v") == [(1, "a"), (2, "b"), (3, "c"), (3, "c"), (4, "d")]
    assert plan(table, spec) is None


def test_execute_load_rechecks_before_committing(tmp_path: Path) -> None:
    """A stale action (plan made before a crash-resumed apply loaded the file) loads nothing twice."""
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01")
    spec = make_spec(str(tmp_path / "t"), data)
    table = create(spec)
    action = plan(table, spec)
    assert action is not None
    execute_load(table, spec, action, commit_metadata=META, storage_options={})
    again = execute_load(table, spec, action, commit_metadata=META, storage_options={})
    assert (again.files, again.skipped, again.version) == (0, 1, None)
    assert table.version == 1 and rows(table, "id") == [(1,)]


def test_file_changed_after_the_plan_is_recorded_as_loaded(tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01")
    spec = make_spec(str(tmp_path / "t"), data)
    table = create(spec)
    action = plan(table, spec)
    csv(data, "a.csv", "1,a,2026-01-01", "2,b,2026-01-02")  # edited between plan and apply
    assert action is not None
    execute_load(table, spec, action, commit_metadata=META, storage_options={})
    assert rows(table, "id") == [(1,), (2,)]
    assert plan(table, spec) is None  # what was loaded is what was recorded


# --- overwrite and create --------------------------------------------------------------------


def test_overwrite_when_the_content_changed(table_uri: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01")
    csv(data, "b.csv", "2,b,2026-01-02")
    spec = make_spec(table_uri, data, mode="overwrite")
    table = create(spec)
    first = load(table, spec)
    assert first is not None and (first.files, first.inserted) == (2, 2)
    assert plan(table, spec) is None
    csv(data, "b.csv", "5,e,2026-01-02")
    action = plan(table, spec)
    assert action is not None and {p.reason for p in action.files} == {"changed"}
    outcome = load(table, spec)
    assert outcome is not None and (outcome.inserted, outcome.deleted) == (2, 2)
    assert rows(table, "id", "v") == [(1, "a"), (5, "e")]
    assert plan(table, spec) is None


def test_create_seeds_once(table_uri: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "seed.csv", "1,a,2026-01-01", "2,b,2026-01-02")
    spec = make_spec(table_uri, data, mode="create")
    # planned before the table exists: the seed is pending
    assert plan(DeltaTable(table_uri), spec, exists=False) is not None
    table = create(spec)
    assert table.app_transaction_version(loadplan.seed_app_id(spec.sources[0])) == 0
    # apply "crashed" after the create commit: the seed is still pending
    outcome = load(table, spec)
    assert outcome is not None and outcome.inserted == 2
    assert table.app_transaction_version(loadplan.seed_app_id(spec.sources[0])) == 1
    csv(data, "more.csv", "3,c,2026-01-01")
    assert plan(table, spec) is None  # create sources never load into an existing table again
    assert rows(table, "id") == [(1,), (2,)]


def test_create_source_added_to_an_existing_table_loads_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "seed.csv", "1,a,2026-01-01")
    table = create(make_spec(str(tmp_path / "t"), data))  # created without a create source
    spec = make_spec(str(tmp_path / "t"), data, mode="create")
    assert plan(table, spec) is None
    stale = loadplan.plan_load(spec.name, spec.sources[0], discover(spec.sources[0], storage_options={}), {},
                               table_exists=False)  # fmt: skip
    assert stale is not None
    assert execute_load(table, spec, stale, commit_metadata=META, storage_options={}).files == 0
    assert table.version == 0


# --- merge -----------------------------------------------------------------------------------

BASE = ("1,a,2026-01-01", "2,b,2026-01-01", "3,c,2026-01-02")
CHANGE = ("2,B,2026-01-01", "4,d,2026-01-02")


@pytest.mark.parametrize(
    ("clauses", "expected", "counts"),
    [
        (("update", "insert", "keep"), [(1, "a"), (2, "B"), (3, "c"), (4, "d")], (1, 1, 0)),
        (("ignore", "insert", "keep"), [(1, "a"), (2, "b"), (3, "c"), (4, "d")], (1, 0, 0)),
        (("delete", "insert", "keep"), [(1, "a"), (3, "c"), (4, "d")], (1, 0, 1)),
        (("update", "ignore", "keep"), [(1, "a"), (2, "B"), (3, "c")], (0, 1, 0)),
        (("update", "insert", "delete"), [(2, "B"), (4, "d")], (1, 1, 2)),
        (("ignore", "ignore", "delete"), [(2, "b")], (0, 0, 2)),
    ],
)
def test_merge_clauses(table_uri: str, tmp_path: Path, clauses: tuple[str, str, str],
                       expected: list[tuple[Any, ...]], counts: tuple[int, int, int]) -> None:  # fmt: skip
    data = tmp_path / "data"
    csv(data, "1.csv", *BASE)
    merge = MergeSpec(
        keys=("id",),
        when_matched=clauses[0],
        when_not_matched=clauses[1],  # type: ignore[arg-type]
        when_not_matched_by_source=clauses[2],
    )  # type: ignore[arg-type]
    spec = make_spec(table_uri, data, mode="merge", merge=merge, partitioned_by=("dt",))
    table = create(spec)
    table.append(pl.DataFrame({"id": [1, 2, 3], "v": ["a", "b", "c"], "dt": [D1, D1, D2]}), commit_metadata=META)
    os.remove(data / "1.csv")
    csv(data, "2.csv", *CHANGE)
    outcome = load(table, spec)
    assert outcome is not None
    assert (outcome.inserted, outcome.updated, outcome.deleted) == counts
    assert rows(table, "id", "v") == expected
    assert plan(table, spec) is None


def test_merge_one_commit_per_file_in_path_order(table_uri: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "2026-01-01.csv", "1,first,2026-01-01", "2,x,2026-01-01")
    csv(data, "2026-01-02.csv", "1,second,2026-01-02")
    spec = make_spec(table_uri, data, mode="merge")
    table = create(spec)
    outcome = load(table, spec)
    assert outcome is not None and (outcome.files, outcome.version) == (2, 2)
    assert rows(table, "id", "v") == [(1, "second"), (2, "x")]
    assert plan(table, spec) is None


def test_merge_duplicate_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01", "2,b,2026-01-01", "1,c,2026-01-01")
    spec = make_spec(str(tmp_path / "t"), data, mode="merge")
    table = create(spec)
    with pytest.raises(DataError) as info:
        load(table, spec)
    e = info.value
    assert e.column == "id" and e.rows == (1, 3) and "id=1" in e.message and e.file.endswith("a.csv")
    assert table.version == 0
    last = make_spec(str(tmp_path / "t"), data, mode="merge", dedupe="last")
    load(table, last)
    assert rows(table, "id", "v") == [(1, "c"), (2, "b")]


def test_merge_null_key_is_an_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01", ",b,2026-01-01", header="id,v,dt")
    columns = (ColumnSpec("id", "long"), ColumnSpec("v", "string"), ColumnSpec("dt", "date"))
    spec = make_spec(str(tmp_path / "t"), data, mode="merge", columns=columns)
    table = create(spec)
    with pytest.raises(DataError, match="null") as info:
        load(table, spec)
    assert info.value.rows == (2,) and table.version == 0


# --- pruned merge ----------------------------------------------------------------------------


def _merge_predicate(table: DeltaTable) -> str:
    params = last_commit(table).parameters
    return str(params.get("predicate", ""))


def _partitioned(
    tmp_path: Path, keys: tuple[str, ...], uri: str | None = None, **merge: Any
) -> tuple[DeltaTable, TableSpec, Path]:
    data = tmp_path / "data"
    spec = make_spec(uri or str(tmp_path / "t"), data, mode="merge", partitioned_by=("dt",),
                     merge=MergeSpec(keys=keys, **merge))  # fmt: skip
    table = create(spec)
    days = [D1 + dt.timedelta(days=i) for i in range(10)]
    table.append(pl.DataFrame({"id": list(range(10)), "v": ["old"] * 10, "dt": days}), commit_metadata=META)
    return table, spec, data


@pytest.mark.parametrize("keys", [("id",), ("id", "dt")])
def test_merge_prunes_to_the_source_partitions(table_uri: str, tmp_path: Path, keys: tuple[str, ...]) -> None:
    table, spec, data = _partitioned(tmp_path, keys, table_uri)
    csv(data, "a.csv", "2,new,2026-01-03", "100,new,2026-01-03", "101,new,2026-01-05")
    load(table, spec)
    predicate = _merge_predicate(table)
    assert "2026-01-03" in predicate and "2026-01-05" in predicate
    assert rows(table, "id", "v")[:4] == [(0, "old"), (1, "old"), (100, "new"), (101, "new")]
    assert (2, "new") in rows(table, "id", "v")


def test_merge_is_not_pruned_when_a_key_moves_partition(tmp_path: Path) -> None:
    table, spec, data = _partitioned(tmp_path, ("id",))
    csv(data, "a.csv", "2,moved,2026-01-09")  # id 2 lives in 2026-01-03
    load(table, spec)
    assert "2026-01-09" not in _merge_predicate(table)
    assert [r for r in rows(table, "id", "v", "dt") if r[0] == 2] == [(2, "moved", dt.date(2026, 1, 9))]
    assert len(rows(table)) == 10


def test_merge_with_by_source_delete_is_never_pruned(tmp_path: Path) -> None:
    table, spec, data = _partitioned(tmp_path, ("id", "dt"), when_not_matched_by_source="delete")
    csv(data, "a.csv", "2,new,2026-01-03")
    load(table, spec)
    assert rows(table, "id", "v") == [(2, "new")]


def test_spec_values_cannot_inject_into_the_merge_predicate(tmp_path: Path) -> None:
    """Column names with quotes, backticks and blanks, and a partition value that is SQL, stay data."""
    names = ("order id", "v\"`'x", "part'ition")
    columns = (ColumnSpec(names[0], "long", False), ColumnSpec(names[1], "string"), ColumnSpec(names[2], "string"))
    data = tmp_path / "data"
    data.mkdir()
    evil = "p1' OR '1'='1"

    def parquet(name: str, *records: tuple[int, str, str]) -> None:
        pq.write_table(pa.table({n: [r[i] for r in records] for i, n in enumerate(names)}), data / name)

    parquet("a.parquet", (1, "a", "p1"), (2, "b", "p2"))
    spec = make_spec(str(tmp_path / "t"), data, mode="merge", columns=columns, partitioned_by=(names[2],),
                     pattern="*.parquet", fmt="parquet", merge=MergeSpec(keys=(names[0], names[2])))  # fmt: skip
    table = create(spec)
    load(table, spec)
    parquet("b.parquet", (1, "A", evil), (2, "B", "p2"))
    load(table, spec)
    assert evil in _merge_predicate(table).replace("''", "'")  # the value went in as a quoted literal
    assert rows(table) == [(1, "A", evil), (1, "a", "p1"), (2, "B", "p2")]


# --- bad data: DataError naming file, column, row; the version does not move -------------------


@pytest.mark.parametrize(
    ("name", "content", "column", "rows", "text"),
    [
        ("wrong_type.csv", "id,v,dt\n1,a,2026-01-01\n2,b,not-a-date\n", "dt", (2,), "'not-a-date'"),
        ("null.csv", "id,v,dt\n1,a,2026-01-01\n,b,2026-01-01\n", "id", (2,), "NOT NULL"),
        ("extra.csv", "id,v,dt,surprise\n1,a,2026-01-01,x\n", "surprise", (), "'surprise'"),
        ("empty.csv", "", "", (), "no data rows"),
        ("header_only.csv", "id,v,dt\n", "", (), "no data rows"),
        ("corrupt.parquet", "PAR1garbage", "", (), "cannot read"),
    ],
)
@pytest.mark.parametrize("mode", ["append", "merge", "overwrite"])
def test_bad_files_write_nothing(table_uri: str, tmp_path: Path, mode: str, name: str, content: str, column: str,
                                 rows: tuple[int, ...], text: str) -> None:  # fmt: skip
    data = tmp_path / "data"
    csv(data, "0-good.csv", "7,g,2026-01-01")
    data.joinpath(name).write_text(content)
    fmt = "parquet" if name.endswith(".parquet") else "csv"
    spec = make_spec(table_uri, data, mode=mode, pattern=f"*.{fmt}" if fmt == "parquet" else "*.csv", fmt=fmt)
    table = create(spec)
    before = table.version
    with pytest.raises(DataError) as info:
        load(table, spec)
    e = info.value
    assert e.file.endswith(name) and text in e.message
    assert (e.column, e.rows) == (column, rows)
    if mode != "merge":  # merge commits file by file: the good file before the bad one is in
        assert table.version == before
    assert plan(table, spec) is not None  # the bad file is still pending


def test_error_late_in_a_large_file_aborts_the_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tablespec.sources import read as sourceread

    monkeypatch.setattr(sourceread, "BATCH_ROWS", 1000)  # many batches reach deltalake before the bad one
    data = tmp_path / "data"
    lines = [f"{i},v{i},2026-01-01" for i in range(20_000)] + ["oops,x,2026-01-01"]
    csv(data, "big.csv", *lines)
    spec = make_spec(str(tmp_path / "t"), data)
    table = create(spec)
    with pytest.raises(DataError) as info:
        load(table, spec)
    assert info.value.rows == (20_001,) and "line 20002" in info.value.message
    assert table.version == 0 and table.read().collect().height == 0


# --- S3 sources ------------------------------------------------------------------------------


@pytest.mark.s3
def test_s3_sources_into_s3_table(s3_server: Any, s3_bucket: str, s3_uri: str) -> None:
    client = s3_server.client()
    body = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": [1, 2], "v": ["a", "b"], "dt": [D1, D2]}), body)
    client.put_object(Bucket=s3_bucket, Key="in/2026-01-01.parquet", Body=body.getvalue().to_pybytes())
    client.put_object(Bucket=s3_bucket, Key="in/2026-01-02.ndjson",
                      Body=(json.dumps({"id": 3, "v": "c", "dt": "2026-01-02"}) + "\n").encode())  # fmt: skip
    for pattern, fmt in (("*.parquet", "parquet"), ("*.ndjson", "ndjson")):
        spec = make_spec(s3_uri, f"s3://{s3_bucket}/in", mode="merge", pattern=pattern, fmt=fmt)
        table = DeltaTable(s3_uri) if DeltaTable(s3_uri).exists() else create(spec)
        assert load(table, spec) is not None
        assert plan(table, spec) is None
    assert rows(table, "id", "v") == [(1, "a"), (2, "b"), (3, "c")]
    client.put_object(Bucket=s3_bucket, Key="in/2026-01-02.ndjson",
                      Body=(json.dumps({"id": 3, "v": "C", "dt": "2026-01-02"}) + "\n").encode())  # fmt: skip
    action = plan(table, spec)
    assert action is not None and [p.reason for p in action.files] == ["changed"]
    load(table, spec)
    assert rows(table, "id", "v") == [(1, "a"), (2, "b"), (3, "C")]


# --- concurrent appliers ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["append", "merge", "overwrite"])
def test_two_appliers_racing_load_each_file_once(table_uri: str, tmp_path: Path, mode: str) -> None:
    """All plan before any commits; a loser finds the files loaded (before or after its conflict) and skips them."""
    import threading

    data = tmp_path / "data"
    for f in range(4):
        csv(data, f"{f}.csv", *(f"{f * 10 + i},v,2026-01-01" for i in range(10)))
    spec = make_spec(table_uri, data, mode=mode)
    create(spec)
    tables = [DeltaTable(table_uri) for _ in range(3)]
    actions = [plan(t, spec) for t in tables]
    barrier = threading.Barrier(3)
    outcomes: list[Any] = [None, None, None]

    def run(i: int) -> None:
        barrier.wait()
        outcomes[i] = execute_load(tables[i], spec, actions[i], commit_metadata=META, storage_options={})  # type: ignore[arg-type]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(o, LoadOutcome) for o in outcomes), outcomes
    ids = [r[0] for r in rows(DeltaTable(table_uri), "id")]
    assert sorted(ids) == list(range(40))
    if mode != "overwrite":  # an overwrite may legitimately run twice (same content, same result)
        assert sum(o.files for o in outcomes) == 4
    assert plan(DeltaTable(table_uri), spec) is None


# --- the streamed merge (files above loadmerge.IN_MEMORY_BYTES) --------------------------------


@pytest.fixture
def streamed_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    from tablespec.loads import merge_prep as loadmerge

    monkeypatch.setattr(loadmerge, "IN_MEMORY_BYTES", 0)  # every file takes the two-pass, streamed path


@pytest.mark.usefixtures("streamed_merge")
def test_streamed_merge(tmp_path: Path) -> None:
    table, spec, data = _partitioned(tmp_path, ("id",))
    csv(data, "a.csv", "2,new,2026-01-03", "100,x,2026-01-03", "100,new,2026-01-05")
    with pytest.raises(DataError, match="id=100"):
        load(table, spec)
    spec = make_spec(spec.uri, data, mode="merge", partitioned_by=("dt",), dedupe="last")
    outcome = load(table, spec)
    assert outcome is not None and (outcome.rows_read, outcome.inserted, outcome.updated) == (3, 1, 1)
    assert "2026-01-05" in _merge_predicate(table)  # pruned
    assert {r for r in rows(table, "id", "v", "dt") if r[0] in (2, 100)} == {
        (2, "new", dt.date(2026, 1, 3)),
        (100, "new", dt.date(2026, 1, 5)),
    }
    csv(data, "b.csv", "7,ok,2026-01-01", "8,bad,2026-13-01")
    before = table.version
    with pytest.raises(DataError) as info:
        load(table, spec)
    assert (info.value.column, info.value.rows) == ("dt", (2,))
    assert table.version == before


# --- what the exactly-once design relies on in deltalake -----------------------------------------


def test_deltalake_commits_carry_several_app_transactions(tmp_path: Path) -> None:
    """A canary for deltalake upgrades: create, write (mode error), append, overwrite and merge
    each commit every app transaction given, atomically with their data."""
    from deltalake import CommitProperties, Transaction, write_deltalake
    from deltalake import DeltaTable as Raw

    def props(*ids: str) -> CommitProperties:
        return CommitProperties(app_transactions=[Transaction(app_id=i, version=n + 1) for n, i in enumerate(ids)])

    data = pa.table({"id": [1, 2]})
    Raw.create(str(tmp_path / "c"), data.schema, commit_properties=props("c1", "c2"))
    write_deltalake(str(tmp_path / "w"), data, mode="error", commit_properties=props("w1", "w2"))
    uri = str(tmp_path / "w")
    write_deltalake(uri, data, mode="append", commit_properties=props("a1", "a2", "a3"))
    write_deltalake(uri, data, mode="overwrite", commit_properties=props("o1", "o2"))
    (
        Raw(uri)
        .merge(
            pa.table({"id": [3]}),
            "t.id = s.id",
            source_alias="s",
            target_alias="t",
            commit_properties=props("m1", "m2"),
        )
        .when_not_matched_insert_all()
        .execute()
    )
    assert [Raw(str(tmp_path / "c")).transaction_version(i) for i in ("c1", "c2")] == [1, 2]
    table = Raw(uri)
    got = {i: table.transaction_version(i) for i in ("w1", "w2", "a1", "a2", "a3", "o1", "o2", "m1", "m2")}
    assert got == {"w1": 1, "w2": 2, "a1": 1, "a2": 2, "a3": 3, "o1": 1, "o2": 2, "m1": 1, "m2": 2}
    table.create_checkpoint()
    assert Raw(uri).transaction_version("a3") == 3  # kept by checkpoints


@pytest.mark.parametrize("mode", ["append", "merge", "overwrite"])
def test_allowed_empty_file_is_recorded_as_loaded(tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data"
    csv(data, "empty.csv")
    spec = make_spec(str(tmp_path / "t"), data, mode=mode, options=(("allow_empty", True),))
    table = create(spec)
    outcome = load(table, spec)
    assert outcome is not None and (outcome.files, outcome.rows_read) == (1, 0)
    assert plan(table, spec) is None


def test_merge_that_changes_nothing_is_still_recorded(table_uri: str, tmp_path: Path) -> None:
    """deltalake makes no commit for a merge without changes; the markers still must land."""
    data = tmp_path / "data"
    csv(data, "a.csv", "1,a,2026-01-01")
    merge = MergeSpec(keys=("id",), when_matched="ignore", when_not_matched="insert")
    spec = make_spec(table_uri, data, mode="merge", merge=merge)
    table = create(spec)
    table.append(pl.DataFrame({"id": [1], "v": ["old"], "dt": [D1]}), commit_metadata=META)
    outcome = load(table, spec)
    assert outcome is not None and (outcome.inserted, outcome.updated, outcome.version) == (0, 0, 2)
    assert plan(table, spec) is None
    assert rows(table, "id", "v") == [(1, "old")]
