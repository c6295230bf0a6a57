"""plan / observe against real Delta tables: local folders and the S3 server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tablespec.config import Config, load_config
from tablespec.delta.table import AppTransaction, DeltaTable
from tablespec.errors import NotADeltaTable, StorageError
from tablespec.model.actions import (
    AddColumns,
    ColumnDef,
    CreateTable,
    LoadSource,
    SetProperties,
    UnsetProperties,
    Vacuum,
)
from tablespec.model.spec import RetentionSpec, TableSpec
from tablespec.planning import exactly_once as loadplan
from tablespec.planning.diff import MANAGED_KEY, desired_properties
from tablespec.planning.observe import PER_ID_LOOKUPS, observe, observe_uri
from tablespec.planning.planner import plan, plan_table
from tablespec.specfiles.loader import load_specs

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: {name}
location: {location}
description: Orders placed in the web shop
columns:
  - name: order_id
    type: long
    nullable: false
    comment: Primary key
  - name: amount
    type: decimal(18,2)
  - name: dt
    type: date
partitioned_by: [dt]
properties:
  delta.enableChangeDataFeed: "true"
constraints:
  amount_not_negative: amount >= 0
  small: amount between 0 and 100
"""
SCHEMA = pa.schema([
    pa.field("order_id", pa.int64(), nullable=False, metadata={"comment": "Primary key"}),
    pa.field("amount", pa.decimal128(18, 2)),
    pa.field("dt", pa.date32()),
])


def project(root: Path, specs: dict[str, str], env: dict[str, str] | None = None) -> Config:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    for name, text in specs.items():
        (root / "specs" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(start=root, env=env or {})


def orders_spec(root: Path, *, name: str = "sales.orders", location: str = "sales/orders", extra: str = "",
                env: dict[str, str] | None = None) -> tuple[TableSpec, Config]:
    config = project(root, {name: SPEC.format(name=name, location=location) + extra}, env)
    [spec] = load_specs(config=config, tables=[name])
    return spec, config


def create_as_tablespec_would(spec: TableSpec, config: Config) -> DeltaTable:
    """The table apply leaves for ``spec`` (created through tablespec.DeltaTable)."""
    table = DeltaTable(spec.uri, config.storage_options(spec.uri), name=spec.name)
    table.create(SCHEMA, partition_by=list(spec.partitioned_by), properties=desired_properties(spec),
                 description=spec.description, constraints=dict(spec.constraints), name=spec.name)
    return table


def rows(n: int, schema: pa.Schema = SCHEMA) -> pa.Table:
    import datetime as dt
    from decimal import Decimal

    return pa.table({"order_id": pa.array(range(n), pa.int64()),
                     "amount": pa.array([Decimal("1.50")] * n, pa.decimal128(18, 2)),
                     "dt": pa.array([dt.date(2026, 1, 1)] * n, pa.date32())}, schema=schema)


# --- local tables ---------------------------------------------------------------------------------


def test_a_missing_table_is_a_state_and_the_plan_creates_it(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path)
    state = observe(spec, storage_options={})
    assert not state.exists and state.version is None
    result = plan([spec], config=config)
    [table] = result.tables
    assert table.observed_version is None and table.spec_hash == spec.spec_hash
    assert [type(a) for a in table.actions] == [CreateTable]
    assert result.plan_id and result.tablespec_version and result.created_at.endswith("Z")

    import tablespec

    assert tablespec.plan([spec], config=config).tables == result.tables  # the function, though the module is loaded


def test_a_table_made_as_the_spec_says_has_no_changes(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path)
    create_as_tablespec_would(spec, config)
    state = observe(spec, storage_options={})
    assert state.exists and state.version == 0  # one commit: the create carries the constraints
    assert state.columns[0].comment == "Primary key" and not state.columns[0].nullable
    assert state.partitioned_by == ("dt",) and state.description == "Orders placed in the web shop"
    # deltalake respells CHECK expressions; observe learns its spelling for the spec's expressions
    assert dict(state.constraints)["amount_not_negative"] != "amount >= 0"
    assert dict(state.constraint_forms)["amount >= 0"] == dict(state.constraints)["amount_not_negative"]
    assert state.min_writer_version >= 3 and state.num_files == 0
    assert plan_table(spec, config).actions == ()


def test_observe_reads_files_and_bytes_from_the_log(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path)
    table = create_as_tablespec_would(spec, config)
    table.append(rows(10))
    table.append(rows(5))
    state = observe(spec, storage_options={})
    assert state.num_files == 2 and state.size_bytes > 0 and state.version == 2
    assert state.created_at and state.created_at.endswith("Z")


def test_a_table_written_by_plain_deltalake_keeps_its_other_properties(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    spec, config = orders_spec(tmp_path)
    plain = pa.schema([pa.field(f.name, f.type) for f in SCHEMA])  # nullable, no comments
    write_deltalake(spec.uri, rows(3, plain), partition_by=["dt"], description="Orders placed in the web shop",
                    configuration={"delta.checkpointInterval": "5", "delta.appendOnly": "false",
                                   "delta.logRetentionDuration": "interval 90 days"})
    actions = plan_table(spec, config).actions
    assert not any(isinstance(a, UnsetProperties) for a in actions)
    [props] = [a for a in actions if isinstance(a, SetProperties)]
    assert props.changes == (("delta.enableChangeDataFeed", None, "true"),
                             (MANAGED_KEY, None, "delta.enableChangeDataFeed"))
    # the not-null column written as nullable by plain deltalake is a refused tightening, not skipped
    assert {type(a).__name__ for a in actions} >= {"TightenNullability", "SetColumnComment", "AddConstraint"}


def test_a_property_dropped_from_the_spec_is_unset_only_because_tablespec_set_it(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path, extra="  # no more properties\n")
    create_as_tablespec_would(spec, config)
    DeltaTable(spec.uri, {}).set_properties({"delta.checkpointInterval": "7"})  # another writer's key
    text = SPEC.format(name="sales.orders", location="sales/orders").replace(
        'properties:\n  delta.enableChangeDataFeed: "true"\n', "")
    (tmp_path / "specs" / "sales.orders.yaml").write_text(text, encoding="utf-8")
    [changed] = load_specs(config=config)
    assert plan_table(changed, config).actions == (
        UnsetProperties("sales.orders", (("delta.enableChangeDataFeed", "true"),
                                         (MANAGED_KEY, "delta.enableChangeDataFeed"))),
    )


def test_retention_intervals_compare_as_durations(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path, extra="retention:\n  deleted_files: 7 days\n  vacuum: false\n")
    table = create_as_tablespec_would(spec, config)
    table.set_properties({"delta.deletedFileRetentionDuration": "interval 1 weeks"})
    assert plan_table(spec, config).actions == ()


def test_new_column_is_planned(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path, extra="")
    create_as_tablespec_would(spec, config)
    text = SPEC.format(name="sales.orders", location="sales/orders").replace(
        "partitioned_by", "  - name: note\n    type: string\npartitioned_by")
    (tmp_path / "specs" / "sales.orders.yaml").write_text(text, encoding="utf-8")
    [changed] = load_specs(config=config)
    assert plan_table(changed, config).actions == (AddColumns("sales.orders", (ColumnDef("note", "string"),)),)


def test_a_folder_that_is_not_a_delta_table_is_a_clear_error(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path)
    os.makedirs(spec.uri)
    Path(spec.uri, "part-0.parquet").write_bytes(b"not a delta table")
    with pytest.raises(NotADeltaTable) as caught:
        plan([spec], config=config)
    assert "sales.orders" in str(caught.value) and spec.uri in str(caught.value)


def test_show_and_plan_agree_on_a_bare_delta_log(tmp_path: Path) -> None:
    """A folder holding only an empty ``_delta_log/`` (another writer is creating the table right
    now) is an absent table to every command: plan proposes creating it, and show, history, read
    and import say it does not exist — not "holds files but no Delta log". They once disagreed,
    each with its own copy of the check (issue 12); now both ask tablespec.delta.handle."""
    from tablespec.errors import TableNotFound
    from tablespec.inspect.rows import read_rows
    from tablespec.inspect.show import describe, history
    from tablespec.model.actions import CreateTable

    spec, config = orders_spec(tmp_path)
    os.makedirs(os.path.join(spec.uri, "_delta_log"))
    [table_plan] = plan([spec], config=config).tables
    assert table_plan.observed_version is None and isinstance(table_plan.actions[0], CreateTable)
    from tablespec.inspect.importer import import_spec

    for call in (describe, history, read_rows, import_spec):
        with pytest.raises(TableNotFound) as caught:
            call(spec.uri, {}, name=spec.name)
        assert not isinstance(caught.value, NotADeltaTable) and "does not exist" in caught.value.message


def test_many_tables_are_planned_concurrently_in_name_order(tmp_path: Path) -> None:
    names = [f"t.n{i}" for i in (5, 3, 9, 1, 7, 2)]
    config = project(tmp_path, {n: SPEC.format(name=n, location=n.replace(".", "/")) for n in names})
    specs = load_specs(config=config)
    for spec in specs[::2]:
        create_as_tablespec_would(spec, config)
    result = plan(reversed(specs), config=config, workers=4)
    assert [t.table for t in result.tables] == sorted(names)
    assert [bool(t.actions) for t in result.tables] == [False, True, False, True, False, True]
    assert plan(specs, config=config, tables=["t.n3"]).tables[0].table == "t.n3"


# --- app transactions -------------------------------------------------------------------------------


@pytest.mark.parametrize("checkpoint", [False, True])
def test_app_transactions_by_lookup_and_by_log_scan_agree(tmp_path: Path, checkpoint: bool) -> None:
    spec, config = orders_spec(tmp_path)
    table = create_as_tablespec_would(spec, config)
    ids = [f"tablespec/daily/content/{i:04d}" for i in range(12)]
    for i, app_id in enumerate(ids[:8]):
        table.append(rows(1), app_transactions=[AppTransaction(app_id, i + 1)])
        if checkpoint and i == 4:
            table.raw().create_checkpoint()
    table.append(rows(1), app_transactions=[AppTransaction(ids[0], 99)])  # a later txn replaces the earlier
    expected = {ids[0]: 99, **{app_id: i + 1 for i, app_id in enumerate(ids[1:8], start=1)}}
    scanned = observe(spec, storage_options={}, app_ids=ids).app_transactions_dict
    assert len(ids) > PER_ID_LOOKUPS and scanned == expected
    for few in (ids[:2], ids[7:10]):
        looked_up = observe(spec, storage_options={}, app_ids=few).app_transactions_dict
        assert looked_up == {k: v for k, v in expected.items() if k in few}


def test_a_source_plans_new_files_and_skips_loaded_ones(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for day in (1, 2):
        pq.write_table(rows(day * 10), data / f"orders-{day}.parquet")
    extra = "sources:\n  - name: daily\n    path: ../data/*.parquet\n    mode: append\n"
    spec, config = orders_spec(tmp_path, extra=extra)
    table = create_as_tablespec_would(spec, config)
    [load] = plan_table(spec, config).actions
    assert isinstance(load, LoadSource) and [f.reason for f in load.files] == ["new", "new"]
    assert [f.rows for f in load.files] == [10, 20]  # parquet footers, no scan

    from tablespec.sources.discover import discover

    first = discover(spec.sources[0], storage_options={})[0]
    marks = loadplan.app_ids_for(spec.sources[0], [first])
    table.append(rows(10), app_transactions=[AppTransaction(marks[0], 1),
                                             AppTransaction(marks[1], loadplan.digest_version(first.digest))])
    [load] = plan_table(spec, config).actions
    assert [f.reason for f in load.files] == ["already loaded", "new"]
    assert load.files[0].rows is None  # no footer read for a file that will not load


# --- vacuum preview -----------------------------------------------------------------------------------


def _age_commits(uri: str, ages_days: dict[int, float]) -> None:
    """Pretend commits happened ``ages_days`` ago: their file times and their remove actions'
    deletionTimestamp (what a writer at that time would have recorded)."""
    now = time.time()
    for version, age in ages_days.items():
        path = Path(uri, "_delta_log", f"{version:020d}.json")
        stamp = now - age * 86400
        lines = []
        for line in path.read_text(encoding="utf-8").splitlines():
            action = json.loads(line)
            if "remove" in action:
                action["remove"]["deletionTimestamp"] = int(stamp * 1000)
            lines.append(json.dumps(action))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.utime(path, (stamp, stamp))


def test_vacuum_preview_counts_files_bytes_and_those_time_travel_still_needs(tmp_path: Path) -> None:
    spec, config = orders_spec(tmp_path, extra="retention:\n  deleted_files: 7 days\n  log: 30 days\n")
    table = create_as_tablespec_would(spec, config)  # version 0
    table.append(rows(5))  # 1
    table.overwrite(rows(6))  # 2: removes the file of version 1
    table.overwrite(rows(7))  # 3: removes the file of version 2
    # version 2's removal happened 40 days ago (outside the 30-day log retention: safe),
    # version 3's 10 days ago (inside it: vacuuming breaks time travel to version 2)
    _age_commits(spec.uri, {0: 50, 1: 45, 2: 40, 3: 10})
    state = observe(spec, storage_options={})
    assert state.vacuum is not None
    assert (state.vacuum.files, state.vacuum.unsafe_files, state.vacuum.retention_seconds) == (2, 1, 7 * 86400)
    assert state.vacuum.bytes > 0
    [vacuum] = [a for a in plan_table(spec, config).actions if isinstance(a, Vacuum)]
    assert vacuum.risk == "destructive" and vacuum.unsafe_files == 1

    # with a log retention shorter than both removals, time travel no longer needs either file
    table.set_properties({"delta.logRetentionDuration": "interval 5 days"})
    short = observe_uri(spec.uri, storage_options={}, retention=RetentionSpec(deleted_files=7 * 86400, vacuum=True))
    assert short.vacuum is not None and (short.vacuum.files, short.vacuum.unsafe_files) == (2, 0)


def test_vacuum_preview_uses_the_retention_the_same_apply_sets(tmp_path: Path) -> None:
    """Issue 13.4: the table says 14 days, the spec 1 day; apply sets 1 day before it vacuums, so
    the preview is at 1 day (files recent versions read make it destructive, as ever)."""
    spec, config = orders_spec(tmp_path, extra="retention:\n  deleted_files: 1 day\n")
    table = create_as_tablespec_would(spec, config)
    table.set_properties({"delta.deletedFileRetentionDuration": "interval 14 days"})
    state = observe(spec, storage_options={})
    assert state.vacuum is not None and state.vacuum.retention_seconds == 86400 and state.vacuum.files == 0


# --- S3 ---------------------------------------------------------------------------------------------------


@pytest.mark.s3
def test_plan_on_s3_creates_then_converges(tmp_path: Path, s3_bucket: str, s3_env: dict[str, str]) -> None:
    spec, config = orders_spec(tmp_path, location=f"s3://{s3_bucket}/sales/orders", env=dict(os.environ))
    assert [type(a) for a in plan([spec], config=config).tables[0].actions] == [CreateTable]
    table = create_as_tablespec_would(spec, config)
    ids = [f"tablespec/daily/content/{i}" for i in range(6)]
    table.append(rows(2), app_transactions=[AppTransaction(ids[0], 1)])
    state = observe(spec, storage_options=config.storage_options(spec.uri), app_ids=ids)
    assert state.exists and state.app_transactions_dict == {ids[0]: 1} and state.num_files == 1
    assert plan([spec], config=config).tables[0].actions == ()


@pytest.mark.s3
def test_s3_prefix_with_other_files_is_not_a_delta_table(tmp_path: Path, s3_server: Any, s3_bucket: str,
                                                         s3_env: dict[str, str]) -> None:
    s3_server.client().put_object(Bucket=s3_bucket, Key="sales/orders/part-0.csv", Body=b"a,b\n")
    spec, config = orders_spec(tmp_path, location=f"s3://{s3_bucket}/sales/orders", env=dict(os.environ))
    with pytest.raises(NotADeltaTable, match="sales.orders"):
        plan([spec], config=config)


@pytest.mark.s3
def test_an_unreachable_store_is_a_storage_error_without_secrets(tmp_path: Path, s3_env: dict[str, str]) -> None:
    from s3server import free_port

    env = {**s3_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    spec, config = orders_spec(tmp_path, location="s3://nowhere/sales/orders", env=env)
    with pytest.raises(StorageError) as caught:
        plan([spec], config=config)
    message = str(caught.value)
    assert "sales.orders" in message and "s3://nowhere/sales/orders" in message
    assert env["AWS_SECRET_ACCESS_KEY"] not in message and env["AWS_ACCESS_KEY_ID"] not in message
