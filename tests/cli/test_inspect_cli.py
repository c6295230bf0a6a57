"""``tablespec show | history | read | import`` through the real entry point (``tablespec.cli.run``
and one subprocess): output formats, NAME vs URI resolution, time travel by version and by
timestamp, and exit codes (0 ok, 1 error, 3 invalid spec, 64 usage)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
import yaml
from fixtures.helpers import copy_fixture, orders, tablespec_table, tree, upload_fixture

from tablespec.cli import run

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: sales.orders
location: sales/orders
columns:
  - {name: order_id, type: long, nullable: false, comment: Primary key}
  - {name: amount, type: "decimal(18,2)"}
  - {name: tags, type: array<string>}
  - {name: customer, type: "struct<name:string,since:date>"}
  - {name: placed_at, type: timestamp}
  - {name: dt, type: string}
partitioned_by: [dt]
sources:
  - {name: daily, path: ../data/*.parquet}
  - {name: seed, path: ../data/seed.csv, mode: create}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project whose spec sales.orders points at a table tablespec wrote (warehouse/sales/orders)."""
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    (root / "specs" / "orders.yaml").write_text(SPEC)
    monkeypatch.chdir(root)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    tablespec_table(str(root / "warehouse" / "sales" / "orders"))
    return root


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- show --------------------------------------------------------------------------------------


def test_show_by_name_text_and_json(project, capsys):
    code, out, err = cli(capsys, "show", "sales.orders")
    assert code == 0, err
    assert out.startswith("Table sales.orders\n")
    assert "order_id   long" in out and "Primary key" in out
    assert "delta.enableChangeDataFeed = true" in out
    assert "daily: 2 file content(s) loaded; last at version 3" in out
    assert "seed: nothing loaded yet" in out
    code, out, _ = cli(capsys, "show", "sales.orders", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["format_version"] == 1 and data["version"] == 3 and data["name"] == "sales.orders"
    assert data["properties"]["delta.enableChangeDataFeed"] == "true"
    assert {load["source"]: load["files"] for load in data["loads"]} == {"daily": 2, "seed": 0}


def test_show_uri_needs_no_spec(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no specs/ here
    uri = copy_fixture("spark_column_mapping", str(tmp_path / "cm"))
    code, out, err = cli(capsys, "show", uri)
    assert code == 0, err
    assert "Order Id" in out and "delta.columnMapping.physicalName=col-" in out
    assert "9d1c0ab8-5d3e-4c8e-9a62-1f0c6e7d2b11: 7" in out
    code, out, _ = cli(capsys, "show", "./cm", "--format", "json")
    assert code == 0 and json.loads(out)["checkpoint_version"] == 3


def test_show_exit_codes(project, capsys, tmp_path):
    code, _, err = cli(capsys, "show", "no.such.table")
    assert code == 64 and "no table named 'no.such.table'" in err and "sales.orders" in err
    code, _, err = cli(capsys, "show", str(tmp_path / "missing"))
    assert code == 1 and "does not exist" in err
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "a.csv").write_text("a\n1\n")
    code, _, err = cli(capsys, "show", str(tmp_path / "plain"))
    assert code == 1 and "no Delta log" in err
    code, _, _ = cli(capsys, "show", "sales.orders", "--format", "yaml")
    assert code == 64
    (project / "specs" / "broken.yaml").write_text(SPEC.replace("sales.orders", "sales.broken")
                                                   .replace("type: long", "type: longg"))
    code, _, err = cli(capsys, "show", "sales.broken")
    assert code == 3 and "longg" in err
    assert cli(capsys, "show", "sales.orders")[0] == 0  # a broken neighbour does not stop a valid table


def test_show_table_not_created_yet(project, capsys):
    (project / "specs" / "new.yaml").write_text(SPEC.replace("sales.orders", "sales.new")
                                                .replace("location: sales/orders", "location: sales/new"))
    code, _, err = cli(capsys, "show", "sales.new")
    assert code == 1 and "does not exist" in err


# --- history -----------------------------------------------------------------------------------


def test_history_formats(project, capsys):
    code, out, _ = cli(capsys, "history", "sales.orders")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["version", "timestamp", "operation", "rows", "files", "by"]
    assert lines[1].startswith("3 ") and "WRITE" in lines[1] and "+2" in lines[1]
    assert "plan p-1234" in lines[1] and "spec sha256:abcdef0123456789" in lines[1]
    code, out, _ = cli(capsys, "history", "sales.orders", "--limit", "2", "--format", "json")
    data = json.loads(out)
    assert [c["version"] for c in data["commits"]] == [3, 2] and data["table"] == "sales.orders"
    assert data["commits"][0]["tablespec"]["tablespec.plan_id"] == "p-1234"
    code, out, _ = cli(capsys, "history", "sales.orders", "--format", "markdown")
    assert code == 0 and "| version | timestamp |" in out and "| 0 |" in out
    assert cli(capsys, "history", "sales.orders", "--limit", "0")[0] == 64


# --- read --------------------------------------------------------------------------------------


def test_read_formats(project, capsys):
    code, out, _ = cli(capsys, "read", "sales.orders")
    assert code == 0 and "order_id" in out and out.rstrip().endswith("5 row(s) at version 3")
    code, out, _ = cli(capsys, "read", "sales.orders", "--format", "csv", "--columns", "order_id,tags,customer")
    rows = sorted(csv.DictReader(io.StringIO(out)), key=lambda r: int(r["order_id"]))
    assert code == 0 and len(rows) == 5
    assert json.loads(rows[0]["tags"]) == ["a", "t1"]
    assert json.loads(rows[0]["customer"]) == {"name": "c1", "since": "2020-01-01"}
    code, out, _ = cli(capsys, "read", "sales.orders", "--format", "json", "--where", "order_id = 2")
    [row] = json.loads(out)
    assert row["amount"] == "2.50" and row["placed_at"].startswith("2026-01-01T12:02:00")
    code, out, err = cli(capsys, "read", "sales.orders", "--format", "ndjson", "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 2 and "more rows match" in err


def test_read_default_limit_for_table_format(tmp_path, capsys):
    from tablespec.delta.table import DeltaTable

    uri = str(tmp_path / "big")
    table = tablespec_table(uri)
    table.append(orders(list(range(10, 40))))
    code, out, _ = cli(capsys, "read", uri)
    assert code == 0 and "20 row(s) at version 4; more rows match (use --limit)" in out
    code, out, _ = cli(capsys, "read", uri, "--format", "ndjson")
    assert len(out.splitlines()) == 35
    assert DeltaTable(uri).version == 4  # reading committed nothing


def test_read_usage_errors(project, capsys):
    for args, message in (
        (["--columns", "nope"], "no column 'nope'"),
        (["--where", "order_id >"], "not a valid SQL expression"),
        (["--where", "Order_Id = 1"], "unknown column 'Order_Id'"),
        (["--where", "order_id = 'x' + 1"], "--where"),
        (["--version", "1", "--as-of", "2026-01-01"], "not both"),
        (["--as-of", "last tuesday"], "ISO 8601"),
        (["--version", "-1"], "-1"),
        (["--format", "xml"], "xml"),
    ):
        code, _, err = cli(capsys, "read", "sales.orders", *args)
        assert code == 64, (args, err)
        assert message in err, (args, err)


# --- time travel -------------------------------------------------------------------------------


def test_time_travel_by_version_and_timestamp(tmp_path, capsys):
    uri = copy_fixture("spark_column_mapping", str(tmp_path / "cm"))  # commit v at 22:13:20 + v minutes
    before = tree(uri)
    code, out, _ = cli(capsys, "read", uri, "--version", "1", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 5 and "amount" in json.loads(out)[0]
    code, out, _ = cli(capsys, "read", uri, "--format", "json")
    assert len(json.loads(out)) == 6 and "total" in json.loads(out)[0]
    code, out, _ = cli(capsys, "read", uri, "--as-of", "2023-11-14T22:14:30Z", "--format", "ndjson")
    assert code == 0 and len(out.splitlines()) == 5
    code, out, _ = cli(capsys, "read", uri, "--as-of", "2023-11-14T23:14:30+01:00", "--format", "ndjson")
    assert code == 0 and len(out.splitlines()) == 5  # the same instant in another zone
    code, out, _ = cli(capsys, "read", uri, "--as-of", "2023-11-14 22:13:30")  # no zone: UTC
    assert code == 0 and "3 row(s) at version 0" in out
    code, _, err = cli(capsys, "read", uri, "--as-of", "2023-11-14")
    assert code == 1 and "did not exist yet" in err
    code, _, err = cli(capsys, "read", uri, "--version", "7")
    assert code == 1 and "no version 7" in err
    assert tree(uri) == before


def test_every_history_timestamp_reads_back_its_version(tmp_path, capsys):
    """history and --as-of use the same commit timestamps: reading as of a commit's time gives
    exactly that commit's version (live table, real file times)."""
    import time

    from deltalake import write_deltalake

    uri = str(tmp_path / "live")
    for i in range(4):
        write_deltalake(uri, orders([i]), mode="append")
        time.sleep(0.01)
    code, out, _ = cli(capsys, "history", uri, "--format", "json")
    commits = json.loads(out)["commits"]
    assert code == 0 and [c["version"] for c in commits] == [3, 2, 1, 0]
    for c in commits:
        code, out, err = cli(capsys, "read", uri, "--as-of", c["timestamp"], "--format", "ndjson")
        assert code == 0, err
        assert len(out.splitlines()) == c["version"] + 1


def test_unreadable_versions_say_why(tmp_path, capsys):
    from deltalake import DeltaTable as Raw
    from deltalake import write_deltalake

    uri = str(tmp_path / "t")
    for i in range(3):
        write_deltalake(uri, orders([i]), mode="overwrite")
    Raw(uri).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    code, _, err = cli(capsys, "read", uri, "--version", "0")
    assert code == 1 and "vacuum" in err
    Raw(uri).create_checkpoint()
    for v in range(2):
        os.remove(os.path.join(uri, "_delta_log", f"{v:020d}.json"))
    code, _, err = cli(capsys, "read", uri, "--version", "0")
    assert code == 1 and "log cleanup" in err and "oldest readable version is" in err


# --- import ------------------------------------------------------------------------------------


def test_import_stdout_and_out_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = copy_fixture("spark_generated_identity", str(tmp_path / "gi"))
    code, out, err = cli(capsys, "import", uri, "--name", "dbx.shipments")
    assert code == 0
    doc = yaml.safe_load(out)
    assert doc["name"] == "dbx.shipments" and doc["location"] == uri
    assert "note: column 'year' is generated as 'YEAR(day)'" in err
    assert "#   - column 'year' is generated" in out
    os.makedirs("specs")
    code, _, err = cli(capsys, "import", "./gi", "--name", "dbx.shipments", "--out", "specs/s.yaml",
                       "--location-as", uri)
    assert code == 0 and "Wrote specs/s.yaml" in err
    assert cli(capsys, "validate")[0] == 0
    code, _, err = cli(capsys, "import", uri, "--name", "dbx.shipments", "--out", "specs/s.yaml")
    assert code == 64 and "--force" in err
    assert cli(capsys, "import", uri, "--name", "dbx.shipments", "--out", "specs/s.yaml", "--force")[0] == 0
    assert cli(capsys, "import", uri)[0] == 64  # --name is required
    assert cli(capsys, "import", str(tmp_path / "missing"), "--name", "a.b")[0] == 1
    code, out, _ = cli(capsys, "show", "dbx.shipments")  # the imported spec names the table
    assert code == 0 and out.startswith("Table dbx.shipments")


def test_imported_spec_plans_no_changes_through_the_cli(tmp_path, capsys, monkeypatch):
    pytest.importorskip("tablespec.cli.plan", reason="tablespec plan has not landed yet")
    monkeypatch.chdir(tmp_path)
    os.makedirs("specs")
    uri = copy_fixture("spark_column_mapping", str(tmp_path / "cm"))
    assert cli(capsys, "import", uri, "--name", "spark.orders", "--out", "specs/orders.yaml")[0] == 0
    code, out, err = cli(capsys, "plan", "--detailed-exitcode")
    assert code == 0, out + err


APPLIED_SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: shop.items
location: shop/items
description: Items
columns:
  - {name: id, type: long, nullable: false, comment: key}
  - {name: name, type: string}
  - {name: dt, type: string}
partitioned_by: [dt]
properties: {delta.enableChangeDataFeed: "true"}
constraints: {id_positive: id > 0}
retention: {deleted_files: 7 days, log: 30 days}
sources:
  - {name: daily, path: ../data/*.parquet}
  - {name: seed, path: ../data/a.parquet, mode: create}
"""


def test_apply_then_show_history_and_import(tmp_path, capsys, monkeypatch):
    """A table made by `tablespec apply` (real load markers and commit metadata): show groups the
    loads per source, history names the plan, and its import plans no changes."""
    pytest.importorskip("tablespec.cli.apply")
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tablespec.config import load_config
    from tablespec.planning.planner import plan
    from tablespec.specfiles.loader import load_specs

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    os.makedirs("specs")
    os.makedirs("data")
    (tmp_path / "tablespec.yaml").write_text("warehouse: wh\n")
    (tmp_path / "specs" / "items.yaml").write_text(APPLIED_SPEC)
    pq.write_table(pa.table({"id": pa.array([1, 2], pa.int64()), "name": ["a", "b"], "dt": ["d1", "d1"]}), "data/a.parquet")
    pq.write_table(pa.table({"id": pa.array([3], pa.int64()), "name": ["c"], "dt": ["d2"]}), "data/b.parquet")
    code, out, err = cli(capsys, "apply", "--auto-approve")
    assert code == 0, out + err
    code, out, _ = cli(capsys, "show", "shop.items", "--format", "json")
    loads = {load["source"]: load for load in json.loads(out)["loads"]}
    assert loads["daily"]["files"] == 2 and loads["daily"]["paths"] == ["a.parquet", "b.parquet"]
    assert loads["seed"]["seeded"] is True
    code, out, _ = cli(capsys, "history", "shop.items", "--format", "json")
    assert all(c["tablespec"].get("tablespec.plan_id") for c in json.loads(out)["commits"])
    code, out, _ = cli(capsys, "read", "shop.items", "--format", "ndjson", "--where", "dt = 'd1'", "--columns", "id")
    assert sorted(json.loads(line)["id"] for line in out.splitlines()) == [1, 1, 2, 2]  # seed + daily
    os.makedirs("imported")
    code, _, err = cli(capsys, "import", "wh/shop/items", "--name", "shop.items", "--location-as", "shop/items",
                       "--out", "imported/items.yaml")
    assert code == 0, err
    config = load_config()
    assert not plan(load_specs(["imported"], config=config), config=config).has_changes


def test_subprocess_entry_point(tmp_path):
    uri = copy_fixture("spark_deletion_vectors", str(tmp_path / "dv"))
    done = subprocess.run([sys.executable, "-m", "tablespec", "read", uri, "--format", "ndjson"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == [1, 3, 5]
    done = subprocess.run([sys.executable, "-m", "tablespec", "read", uri, "--version", "9"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr


# --- S3 ----------------------------------------------------------------------------------------


@pytest.mark.s3
def test_cli_on_s3_uses_environment_credentials(s3_server, s3_bucket, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = s3_server.client()
    uri = upload_fixture("spark_deletion_vectors", client, s3_bucket, "people")
    code, out, err = cli(capsys, "show", uri, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["reader_features"] == ["deletionVectors", "timestampNtz"]
    code, out, _ = cli(capsys, "read", uri, "--version", "0", "--format", "ndjson")
    assert code == 0 and len(out.splitlines()) == 5
    code, out, _ = cli(capsys, "history", uri, "--format", "json")
    assert [c["operation"] for c in json.loads(out)["commits"]] == ["DELETE", "WRITE"]
    code, out, _ = cli(capsys, "import", uri, "--name", "s3.people")
    assert code == 0 and yaml.safe_load(out)["location"] == uri
    code, _, err = cli(capsys, "show", f"s3://{s3_bucket}/nothing")
    assert code == 1 and "does not exist" in err
    assert s3_server.env()["AWS_SECRET_ACCESS_KEY"] not in err
