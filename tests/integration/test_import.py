"""``import`` round trips: for tables written by tablespec, by plain deltalake and by other engines
(hand-made fixtures), import -> validate (check_specs) -> the spec says what the log says ->
planning it against the same table shows no changes. What a spec cannot express is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from fixtures.helpers import (
    ROUND_TRIP_FIXTURES,
    copy_fixture,
    deltalake_table,
    tablespec_table,
    tree,
    upload_fixture,
)

from tablespec.config import load_config
from tablespec.errors import UsageError
from tablespec.inspect.importer import import_spec
from tablespec.inspect.show import describe
from tablespec.specfiles.loader import check_specs


def write_project(tmp_path, text: str, name: str = "t.yaml") -> tuple[str, object]:
    root = os.path.join(tmp_path, "project")
    os.makedirs(os.path.join(root, "specs"), exist_ok=True)
    with open(os.path.join(root, "tablespec.yaml"), "w") as f:
        f.write("warehouse: wh\n")
    path = os.path.join(root, "specs", name)
    with open(path, "w") as f:
        f.write(text)
    return path, load_config(start=Path(root))


def validated(tmp_path, text: str):
    path, config = write_project(tmp_path, text)
    result = check_specs([path], config=config)
    assert not result.errors, [str(p) for p in result.errors]
    # the only warning an imported spec may get: its table's CHECK does not handle NULL (true of
    # the table itself; validate says so, the round trip keeps the constraint as the table has it)
    unexpected = [p for p in result.warnings if "does not handle NULL" not in p.message]
    assert not unexpected, [str(p) for p in unexpected]
    [spec] = result.specs
    return spec, config


def assert_matches_log(spec, uri: str, storage_options=None) -> None:
    """The spec says what the log says (independent of the planner)."""
    info = describe(uri, storage_options)
    assert [(c.name, c.type, c.nullable, c.comment) for c in spec.columns] == [
        (c.name, c.type, c.nullable, c.comment) for c in info.columns if c.supported]
    assert spec.partitioned_by == info.partitioned_by
    assert spec.description == info.description
    assert dict(spec.constraints) == dict(info.constraints)
    observed = dict(info.properties)
    for key, value in spec.managed_properties().items():
        assert observed.get(key) == value, key


def assert_plans_clean(spec, config) -> None:
    plan_module = pytest.importorskip("tablespec.planning.planner", reason="tablespec.plan has not landed yet")
    plan = plan_module.plan((spec,), config=config)
    assert not plan.has_changes, [a for t in plan.tables for a in t.actions]


def round_trip(tmp_path, uri: str, name: str, storage_options=None, **kwargs) -> object:
    result = import_spec(uri, storage_options, name=name, **kwargs)
    spec, config = validated(tmp_path, result.yaml)
    assert spec.name == name
    assert_matches_log(spec, uri, storage_options)
    assert_plans_clean(spec, config)
    return result


@pytest.mark.parametrize("fixture", ROUND_TRIP_FIXTURES)
def test_fixtures_round_trip(tmp_path, fixture):
    uri = copy_fixture(fixture, os.path.join(tmp_path, fixture))
    before = tree(uri)
    result = round_trip(tmp_path, uri, f"other.{fixture}")
    assert result.yaml.startswith("# Imported by tablespec")
    assert tree(uri) == before


def test_tablespec_table_round_trips(tmp_path, table_uri):
    tablespec_table(table_uri)
    result = round_trip(tmp_path, table_uri, "sales.orders")
    doc = result.document
    assert doc["retention"] == {"deleted_files": "7 days", "log": "30 days", "vacuum": False}
    assert doc["properties"] == {"delta.enableChangeDataFeed": "true"}
    assert list(doc["constraints"]) == ["amount_not_negative"]
    assert doc["columns"][0] == {"name": "order_id", "type": "long", "nullable": False, "comment": "Primary key"}
    assert doc["location"] == (table_uri if "://" in table_uri else os.path.abspath(table_uri))
    assert result.notes == ()


def test_deltalake_table_with_checkpoint_round_trips(tmp_path):
    uri = os.path.join(tmp_path, "dl")
    deltalake_table(uri, commits=12)
    result = round_trip(tmp_path, uri, "raw.events")
    assert result.document["description"] == "written by deltalake"
    assert result.document["columns"][1]["comment"] == "in EUR"
    assert result.document["properties"] == {"delta.appendOnly": "false", "delta.checkpointInterval": "1000"}


def test_column_mapping_mode_is_kept_and_reported(tmp_path):
    """issue 18: the mode is kept so a table created from the spec uses column mapping too;
    the engine's bookkeeping (maxColumnId) is left out."""
    uri = copy_fixture("spark_column_mapping", os.path.join(tmp_path, "cm"))
    result = import_spec(uri, name="spark.orders")
    props = {k for k in result.document.get("properties", {}) if k.startswith("delta.columnMapping")}
    assert props == {"delta.columnMapping.mode"}
    assert any("column mapping" in n for n in result.notes)
    assert any("nested fields" in n and "customer" in n for n in result.notes)
    assert result.document["retention"] == {"log": "60 days"}  # no deleted_files: no vacuum key either
    assert [c["name"] for c in result.document["columns"]] == ["Order Id", "total", "customer", "tags", "region"]
    for note in result.notes:
        assert "#   - " + note in result.yaml


def test_generated_identity_invariants_varchar_are_reported(tmp_path):
    uri = copy_fixture("spark_generated_identity", os.path.join(tmp_path, "gi"))
    result = import_spec(uri, name="dbx.shipments")
    notes = " | ".join(result.notes)
    for expected in ("'id' is an identity column", "legacy invariant",
                     "declared varchar(10)", "'point': nullability"):
        assert expected in notes
    # issue 18: a generated column is written back as `generated:`
    assert {"name": "year", "type": "integer", "generated": "YEAR(day)"} in [
        {k: v for k, v in c.items() if k != "nullable"} for c in result.document["columns"]]


def test_deletion_vectors_are_reported(tmp_path):
    uri = copy_fixture("spark_deletion_vectors", os.path.join(tmp_path, "dv"))
    result = import_spec(uri, name="spark.people")
    assert any("deletionVectors" in n for n in result.notes)
    assert not any("timestampNtz" in n for n in result.notes)  # expressible: a type
    assert result.document["retention"] == {"deleted_files": "14 days", "vacuum": False}


def test_variant_is_imported_as_variant(tmp_path):
    """issue 18: variant is in the type grammar (it was left out before)."""
    uri = copy_fixture("unsupported_variant", os.path.join(tmp_path, "v"))
    result = import_spec(uri, name="odd.variant")
    assert result.document["columns"][1] == {"name": "payload", "type": "variant"}
    assert not any("variant" in n for n in result.notes)
    validated(tmp_path, result.yaml)


def test_dollar_signs_survive_interpolation(tmp_path):
    from deltalake import DeltaTable as Raw

    uri = os.path.join(tmp_path, "d")
    deltalake_table(uri, commits=1)
    Raw(uri).alter.set_table_description("costs ${HOME} and $5")
    result = import_spec(uri, name="x.d")
    assert "$${HOME}" in result.yaml
    spec, _ = validated(tmp_path, result.yaml)
    assert spec.description == "costs ${HOME} and $5"


def test_retention_kept_verbatim_when_it_would_not_round_trip(tmp_path):
    from deltalake import DeltaTable as Raw

    uri = os.path.join(tmp_path, "r")
    deltalake_table(uri, commits=1)
    Raw(uri).alter.set_table_properties({"delta.logRetentionDuration": "interval 720 hours",
                                         "delta.deletedFileRetentionDuration": "interval 2 days"})
    result = round_trip(tmp_path, uri, "x.r")
    assert result.document["properties"]["delta.logRetentionDuration"] == "interval 720 hours"
    assert result.document["retention"] == {"deleted_files": "2 days", "vacuum": False}


def test_engine_managed_properties_are_left_out(tmp_path):
    from tablespec.inspect.importer import build_spec

    result = build_spec(
        name="x.y", location="/t", description=None, features=set(), version=3, source="/t",
        schema={"fields": [{"name": "a", "type": "long", "nullable": True, "metadata": {}}]},
        partition_columns=[],
        configuration={"tablespec.managedProperties": "a,b", "delta.minReaderVersion": "2",
                       "delta.feature.timestampNtz": "supported", "delta.enableChangeDataFeed": "true",
                       "delta.constraints.bad name": "a > 0", "delta.constraints.ok": "a > 0"},
    )
    assert result.document["properties"] == {"delta.enableChangeDataFeed": "true"}
    assert result.document["constraints"] == {"ok": "a > 0"}
    assert any("'bad name'" in n for n in result.notes)


def test_location_as_and_name_check(tmp_path):
    uri = copy_fixture("spark_deletion_vectors", os.path.join(tmp_path, "dv"))
    result = import_spec(uri, name="spark.people", location="people")
    assert result.document["location"] == "people"
    assert yaml.safe_load(result.yaml)["location"] == "people"
    with pytest.raises(UsageError, match="not a valid table name"):
        import_spec(uri, name="bad name!")


@pytest.mark.s3
def test_import_from_s3_round_trips(tmp_path, s3_server, s3_bucket, s3_storage_options):
    uri = upload_fixture("spark_column_mapping", s3_server.client(), s3_bucket, "spark/orders")
    result = round_trip(tmp_path, uri, "spark.orders", s3_storage_options)
    assert result.document["location"] == uri
