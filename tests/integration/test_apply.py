"""`tablespec apply` end to end on real tables: a local warehouse and one on the S3 server.

Each scenario runs the CLI in-process (``tablespec.cli.run``) exactly as a user would, then reads
the table back with ``tablespec.DeltaTable`` and checks that planning again shows no changes.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from tablespec.cli import run
from tablespec.delta.table import DeltaTable

BASE = """\
apiVersion: tablespec/v1
kind: Table
name: shop.items
location: shop/items
description: Items on sale
columns:
  - {name: id, type: long, nullable: false, comment: Primary key}
  - {name: price, type: integer}
  - {name: label, type: string}
  - {name: dt, type: date}
partitioned_by: [dt]
properties:
  delta.appendOnly: "false"
constraints:
  price_positive: price > 0
retention:
  deleted_files: 7 days
  log: 30 days
"""


class Project:
    """A project folder with specs/, run against one warehouse (local folder or s3:// prefix)."""

    def __init__(self, root: Path, warehouse: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.warehouse, self.capsys = root, warehouse, capsys
        (root / "specs").mkdir(parents=True, exist_ok=True)
        (root / "tablespec.yaml").write_text(f"warehouse: {warehouse}\n")

    def spec(self, text: str, name: str = "items.yaml") -> None:
        (self.root / "specs" / name).write_text(textwrap.dedent(text))

    def cli(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = run(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def apply(self, *args: str) -> tuple[int, str, str]:
        return self.cli("apply", "--auto-approve", *args)

    def converged(self) -> bool:
        code, out, err = self.cli("plan", "--detailed-exitcode")
        assert code in (0, 2), out + err
        return code == 0

    def table(self, location: str = "shop/items") -> DeltaTable:
        if "://" in self.warehouse:
            return DeltaTable(f"{self.warehouse}/{location}")
        return DeltaTable(os.path.join(self.warehouse, location), {})


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def project(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Project:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    if request.param == "local":
        warehouse = str(tmp_path / "warehouse")
    else:
        warehouse = f"s3://{request.getfixturevalue('s3_bucket')}/warehouse"
    root = tmp_path / "project"
    p = Project(root, warehouse, capsys)
    monkeypatch.chdir(root)
    return p


def rows(table: DeltaTable, **at: object) -> list[dict[str, object]]:
    return table.read(**at).sort("id").collect().to_dicts()  # type: ignore[arg-type]


def seed(table: DeltaTable, prices: list[int | None], labels: list[str | None] | None = None) -> None:
    import datetime as dt

    n = len(prices)
    table.append(pa.table({
        "id": pa.array(range(1, n + 1), pa.int64()),
        "price": pa.array(prices, pa.int32()),
        "label": labels or [f"item {i}" for i in range(1, n + 1)],
        "dt": [dt.date(2026, 11, 1 + i % 2) for i in range(n)],
    }))  # fmt: skip


def test_create_from_nothing(project: Project) -> None:
    project.spec(BASE)
    code, out, err = project.apply()
    assert code == 0, out + err
    assert "shop.items: applied" in out and "version none -> 0" in out
    table = project.table()
    schema = table.schema
    assert schema.names == ["id", "price", "label", "dt"]
    assert not schema.field("id").nullable and schema.field("id").metadata == {b"comment": b"Primary key"}
    assert table.partition_by == ("dt",)
    assert table.description == "Items on sale"
    assert table.constraints == {"price_positive": "price > 0"}
    props = table.properties
    assert props["delta.appendOnly"] == "false"
    assert props["delta.deletedFileRetentionDuration"] == "interval 7 days"
    assert props["delta.logRetentionDuration"] == "interval 30 days"
    # provenance on every commit apply made
    history = table.history()
    assert len(history) == 1  # the CREATE carries the constraints too
    plan_ids = {c.metadata["tablespec.plan_id"] for c in history}
    assert len(plan_ids) == 1 and all(c.metadata["tablespec.spec_hash"].startswith("sha256:") for c in history)
    assert all(c.metadata["tablespec.version"] for c in history)
    assert project.converged()
    code, out, _ = project.apply()
    assert code == 0 and "no changes" in out


def test_evolve_in_place(project: Project) -> None:
    project.spec(BASE)
    assert project.apply()[0] == 0
    seed(project.table(), [10, 20])
    evolved = BASE.replace("description: Items on sale", "description: Items on sale, evolved")
    evolved = evolved.replace("{name: id, type: long, nullable: false, comment: Primary key}",
                              "{name: id, type: long, nullable: true, comment: Item id}")
    evolved = evolved.replace("  - {name: dt, type: date}\n",
                              "  - {name: dt, type: date}\n  - {name: colour, type: string, comment: new}\n")
    evolved = evolved.replace('delta.appendOnly: "false"', 'delta.appendOnly: "false"\n  delta.enableChangeDataFeed: "true"')
    evolved = evolved.replace("price_positive: price > 0", "price_small: price < 1000")
    project.spec(evolved)
    before = project.table().version
    code, out, err = project.apply()
    assert code == 0, out + err
    assert f"version {before} -> " in out
    table = project.table()
    schema = table.schema
    assert schema.names == ["id", "price", "label", "dt", "colour"]
    assert schema.field("id").nullable and schema.field("id").metadata == {b"comment": b"Item id"}
    assert schema.field("colour").metadata == {b"comment": b"new"}
    assert table.description == "Items on sale, evolved"
    assert table.constraints == {"price_small": "price < 1000"}
    assert table.properties["delta.enableChangeDataFeed"] == "true"
    assert [r["price"] for r in rows(table)] == [10, 20]  # data untouched
    assert all(c.metadata.get("tablespec.plan_id") for c in table.history(table.version - before))
    assert project.converged()


def test_removed_property_is_reset_and_converges(project: Project) -> None:
    project.spec(BASE.replace('delta.appendOnly: "false"', 'delta.enableChangeDataFeed: "true"'))
    assert project.apply()[0] == 0
    project.spec(BASE.replace('  delta.appendOnly: "false"\n', "").replace("properties:\n", ""))
    code, out, err = project.apply()
    assert code == 0, out + err
    props = project.table().properties
    assert props["delta.enableChangeDataFeed"] == "false"  # Delta's default: delta-rs cannot unset
    assert "delta.enableChangeDataFeed" not in props["tablespec.managedProperties"].split(",")
    assert project.converged()


def test_destructive_change_refused_then_done_where_possible(project: Project) -> None:
    project.spec(BASE)
    assert project.apply()[0] == 0
    seed(project.table(), [10, 20, 30])
    dropped = BASE.replace("  - {name: label, type: string}\n", "").replace("Items on sale", "Items, no labels")
    project.spec(dropped)
    table = project.table()
    version = table.version
    code, out, err = project.apply()
    assert code == 4, out + err
    assert "refused, nothing applied" in out and "--allow destructive" in out and "label" in out
    table = project.table()
    assert table.version == version and table.description == "Items on sale"  # nothing of the table applied
    assert "label" in table.schema.names
    code, out, err = project.apply("--allow", "destructive")
    assert code == 0, out + err
    assert "dropped column label (verified rewrite)" in out
    table = project.table()
    assert table.schema.names == ["id", "price", "dt"]
    assert [r["price"] for r in rows(table)] == [10, 20, 30]
    assert table.description == "Items, no labels"
    assert table.constraints == {"price_positive": "price > 0"}  # properties survive the rewrite
    assert table.schema.field("id").metadata == {b"comment": b"Primary key"}
    assert project.converged()


def test_rewrites_need_allow_rewrite_and_verify(project: Project) -> None:
    project.spec(BASE)
    assert project.apply()[0] == 0
    seed(project.table(), [10, 20, 30])
    changed = BASE.replace("{name: price, type: integer}", "{name: price, type: long, nullable: false}")
    changed = changed.replace("partitioned_by: [dt]", "partitioned_by: []")
    project.spec(changed)
    code, out, _ = project.apply("--allow", "destructive")
    assert code == 4 and "--allow rewrite" in out
    code, out, err = project.apply("--allow", "rewrite")
    assert code == 0, out + err
    table = project.table()
    assert table.schema.field("price").type == pa.int64() and not table.schema.field("price").nullable
    assert table.partition_by == ()
    assert [r["price"] for r in rows(table)] == [10, 20, 30]
    assert project.converged()


def test_type_change_restates_constraints_and_converges(project: Project) -> None:
    """delta-rs stores `amount >= 0` on decimal(18,2) as `amount >= '0'::decimal(18, 2)`; after
    widening to decimal(20,2) the constraint must be re-stated or the next plan is not empty."""
    text = BASE.replace("{name: price, type: integer}", "{name: price, type: 'decimal(18,2)'}")
    text = text.replace("price_positive: price > 0", "price_positive: price >= 0")
    project.spec(text)
    assert project.apply()[0] == 0
    assert "decimal(18, 2)" in project.table().constraints["price_positive"]
    project.spec(text.replace("decimal(18,2)", "decimal(20,2)"))
    code, out, err = project.apply("--allow", "rewrite")
    assert code == 0, out + err
    assert "decimal(20, 2)" in project.table().constraints["price_positive"]
    assert project.converged()


def test_narrowing_refused_when_a_value_would_change(project: Project) -> None:
    project.spec(BASE.replace("{name: price, type: integer}", "{name: price, type: long}"))
    assert project.apply()[0] == 0
    table = project.table()
    table.append(pa.table({"id": pa.array([1, 2], pa.int64()), "price": pa.array([5, 2**40], pa.int64()),
                           "label": ["a", "b"], "dt": pa.array([0, 0], pa.date32())}))
    project.spec(BASE)  # price back to integer: narrowing
    version = table.version
    code, out, _ = project.apply("--allow", "destructive")
    assert code == 4 and "1099511627776" in out and "nothing applied" in out
    assert project.table().version == version
    project.table().overwrite(pa.table({"id": pa.array([1], pa.int64()), "price": pa.array([5], pa.int64()),
                                        "label": ["a"], "dt": pa.array([0], pa.date32())}))
    code, out, err = project.apply("--allow", "destructive")
    assert code == 0, out + err
    assert project.table().schema.field("price").type == pa.int32()
    assert project.converged()


def test_not_null_refused_while_nulls_remain(project: Project) -> None:
    project.spec(BASE)
    assert project.apply()[0] == 0
    seed(project.table(), [10, 20], labels=["a", None])
    project.spec(BASE.replace("{name: label, type: string}", "{name: label, type: string, nullable: false}"))
    code, out, _ = project.apply("--allow", "rewrite")
    assert code == 4 and "1 row(s) hold null" in out
    assert project.table().schema.field("label").nullable


def test_stale_saved_plan_is_refused(project: Project, tmp_path: Path) -> None:
    project.spec(BASE)
    assert project.apply()[0] == 0
    project.spec(BASE.replace("Items on sale", "Items v2"))
    saved = str(tmp_path / "plan.json")
    assert project.cli("plan", "--out", saved)[0] == 0
    planned = project.table().version
    seed(project.table(), [1])  # the table moves
    code, out, err = project.cli("apply", "--plan", saved, "--auto-approve")
    assert code == 4
    assert "shop.items" in err and f"planned at version {planned}" in err and f"found version {planned + 1}" in err
    assert project.table().description == "Items on sale"
    # a fresh plan applies exactly, with its plan id on the commit
    assert project.cli("plan", "--out", saved)[0] == 0
    project.spec(BASE.replace("Items on sale", "Items v3"))  # the spec changes after the plan
    code, out, err = project.cli("apply", "--plan", saved, "--auto-approve")
    assert code == 4 and "spec changed" in err
    project.spec(BASE.replace("Items on sale", "Items v2"))
    code, out, err = project.cli("apply", "--plan", saved, "--auto-approve")
    assert code == 0, out + err
    table = project.table()
    assert table.description == "Items v2"
    assert table.history(1)[0].metadata["tablespec.plan_id"] == json.loads(Path(saved).read_text())["plan_id"]


def test_one_failing_table_leaves_the_others_applied(project: Project) -> None:
    project.spec(BASE)
    other = BASE.replace("shop.items", "shop.broken").replace("shop/items", "shop/broken")
    other = other.replace("price_positive: price > 0", "impossible: no_such_function(price) > 0")  # validate cannot tell
    project.spec(other, "broken.yaml")
    code, out, err = project.apply("--format", "json")
    assert code == 1, out + err
    report = json.loads(out)
    status = {t["table"]: t["status"] for t in report["tables"]}
    assert status == {"shop.broken": "failed", "shop.items": "applied"}
    broken = next(t for t in report["tables"] if t["table"] == "shop.broken")
    assert broken["error"]["message"] and broken["version_after"] is None  # a bad CHECK: nothing created
    assert project.table().constraints == {"price_positive": "price > 0"}


def test_removing_a_delta_property_without_a_known_default_is_refused(project: Project) -> None:
    project.spec(BASE.replace('delta.appendOnly: "false"', 'delta.targetFileSize: "134217728"'))
    assert project.apply()[0] == 0
    project.spec(BASE)
    code, out, _ = project.apply()
    assert code == 4 and "delta.targetFileSize" in out and "cannot unset" in out
    assert project.table().properties["delta.targetFileSize"] == "134217728"
    assert "delta.appendOnly" not in project.table().properties  # nothing of the table applied


def test_rewrite_undone_when_another_writer_slipped_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """delta-rs lets an overwrite commit over a concurrent append without a conflict; the row
    count shows it, and the rewrite is undone (restore to the version just before it), keeping the
    other writer's rows, and reported as a conflict."""
    from tablespec.applying import rewrite
    from tablespec.errors import ConcurrentModification
    from tablespec.model.actions import DropColumn

    uri = str(tmp_path / "t")
    table = DeltaTable(uri, {}, name="t")
    table.create(pa.schema([pa.field("id", pa.int64()), pa.field("x", pa.string())]))
    table.append(pa.table({"id": [1, 2], "x": ["a", "b"]}))
    other = DeltaTable(uri, {}, name="t")
    real_snapshot = DeltaTable.snapshot
    calls: list[int] = []

    def stale_snapshot(self: DeltaTable, **kw: object) -> object:
        handle = real_snapshot(self, **kw)
        if not calls:  # the rewrite's read: another writer appends right after it
            other.append(pa.table({"id": [3], "x": ["c"]}))
        calls.append(1)
        return handle

    monkeypatch.setattr(DeltaTable, "snapshot", stale_snapshot)
    with pytest.raises(ConcurrentModification) as raised:
        rewrite.rewrite(table, DropColumn("t", column="x", type="string"), commit_metadata={})
    monkeypatch.undo()
    assert "another writer" in raised.value.message and "restored" in raised.value.message
    after = DeltaTable(uri, {})
    assert after.schema.names == ["id", "x"]
    assert sorted(r["id"] for r in rows(after)) == [1, 2, 3]


def test_library_apply_with_specs_and_approval(tmp_path: Path) -> None:
    import tablespec
    from tablespec.config import load_config
    from tablespec.errors import ApprovalRequired
    from tablespec.specfiles.loader import load_specs

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "items.yaml").write_text(BASE)
    config = load_config(start=tmp_path, warehouse=str(tmp_path / "wh"), env={})
    specs = load_specs([tmp_path / "specs"], config=config)
    seen: list[object] = []
    with pytest.raises(ApprovalRequired):
        tablespec.apply(specs, config=config, approve=lambda plan: seen.append(plan) or False)
    assert len(seen) == 1 and not DeltaTable(specs[0].uri, {}).exists()
    report = tablespec.apply(specs, config=config, approve=lambda plan: True)
    assert [t.status for t in report.tables] == ["applied"] and report.ok
    assert tablespec.apply(specs, config=config).tables[0].status == "skipped"
    assert tablespec.apply([], config=config).tables == ()


@pytest.mark.s3
def test_storage_settings_from_tablespec_yaml_reach_s3_sources(
    s3_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Credentials only in tablespec.yaml (`storage:` referring to ${VAR}s under other names) must
    be used to read s3:// source files too, not only to write the table."""
    server = s3_server
    bucket = server.new_bucket()  # type: ignore[attr-defined]
    server.client().put_object(Bucket=bucket, Key="in/a.csv", Body=b"id,price\n1,10\n2,20\n")  # type: ignore[attr-defined]
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ALLOW_HTTP",
                "AWS_SESSION_TOKEN", "AWS_PROFILE", "TABLESPEC_WAREHOUSE"):
        monkeypatch.delenv(key, raising=False)
    env = server.env()  # type: ignore[attr-defined]
    monkeypatch.setenv("LAKE_ENDPOINT", env["AWS_ENDPOINT_URL"])
    monkeypatch.setenv("LAKE_KEY", env["AWS_ACCESS_KEY_ID"])
    monkeypatch.setenv("LAKE_SECRET", env["AWS_SECRET_ACCESS_KEY"])
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "tablespec.yaml").write_text(textwrap.dedent(f"""\
        warehouse: {tmp_path / 'wh'}
        storage:
          AWS_ENDPOINT_URL: ${{LAKE_ENDPOINT}}
          AWS_ACCESS_KEY_ID: ${{LAKE_KEY}}
          AWS_SECRET_ACCESS_KEY: ${{LAKE_SECRET}}
          AWS_ALLOW_HTTP: "true"
        """))
    (root / "specs" / "t.yaml").write_text(textwrap.dedent(f"""\
        apiVersion: tablespec/v1
        kind: Table
        name: shop.prices
        location: shop/prices
        columns:
          - {{name: id, type: long}}
          - {{name: price, type: integer}}
        sources:
          - {{name: feed, path: "s3://{bucket}/in/*.csv", mode: append}}
        """))
    monkeypatch.chdir(root)
    code = run(["apply", "--auto-approve"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "LAKE_SECRET" not in out and env["AWS_SECRET_ACCESS_KEY"] not in out + err
    table = DeltaTable(str(tmp_path / "wh" / "shop" / "prices"), {})
    assert sorted(r["price"] for r in table.read().collect().to_dicts()) == [10, 20]
    assert run(["plan", "--detailed-exitcode"]) == 0


def test_apply_runs_actions_in_the_order_the_plan_lists_them(tmp_path: Path) -> None:
    """What a reviewer sees is what runs (issue 12): apply, recording each action as it is done
    through the ``after_action`` seam, runs exactly the plan's actions in the plan's order — here a
    change that touches every schema rank (drop a constraint, add a column, change a type, drop a
    column) plus metadata, a new constraint and a property."""
    import tablespec
    from tablespec.config import load_config

    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "tablespec.yaml").write_text(f"warehouse: {tmp_path / 'warehouse'}\n")
    (root / "specs" / "items.yaml").write_text(BASE)
    config = load_config(start=root)
    assert tablespec.apply(root / "specs", config=config).ok
    (root / "specs" / "items.yaml").write_text(
        BASE.replace("  - {name: label, type: string}\n", "  - {name: note, type: string}\n")
        .replace("{name: price, type: integer}", "{name: price, type: long}")
        .replace("description: Items on sale", "description: Items")
        .replace("  price_positive: price > 0\n", "  id_positive: id > 0\n")
        .replace('delta.appendOnly: "false"', 'delta.appendOnly: "false"\n  owner: shop')
    )
    planned = tablespec.plan(tablespec.load_specs([root / "specs"], config=config), config=config).tables[0].actions
    assert {type(a).__name__ for a in planned} >= {"DropConstraint", "AddColumns", "ChangeColumnType", "DropColumn",
                                                    "SetDescription", "SetProperties", "AddConstraint"}
    done: list[object] = []
    report = tablespec.apply(root / "specs", config=config, allow=("rewrite", "destructive"),
                             after_action=lambda table, action: done.append(action))
    assert report.ok, report
    assert tuple(done) == planned
    assert report.tables[0].actions == planned
