from __future__ import annotations

from pathlib import Path

import pytest

from tablespec.config import load_config
from tablespec.errors import SpecInvalid, UsageError
from tablespec.specfiles.loader import check_specs, load_specs

TWO_DOCS = """\
apiVersion: tablespec/v1
kind: Table
name: a.one
location: ${LOC:-one}
description: ${DESC}
columns: [{name: id, type: bigint, nullable: false}]
retention: {deleted_files: 7 days}
sources:
  - {name: s, path: ../data/*.csv, mode: append}
---
apiVersion: tablespec/v1
kind: Table
name: a.two
location: s3://bucket/two
columns: [{name: id, type: int}]
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "tablespec.yaml").write_text("warehouse: wh\n")
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "both.yml").write_text(TWO_DOCS)
    (specs / "notes.txt").write_text("not a spec")
    return specs


def test_several_documents_interpolation_and_resolution(tmp_path: Path) -> None:
    specs = _project(tmp_path)
    config = load_config(start=tmp_path, env={"DESC": "described"})
    one, two = load_specs([specs], config=config)
    assert (one.name, two.name) == ("a.one", "a.two")
    assert one.uri == str(tmp_path / "wh" / "one")
    assert one.description == "described"
    assert one.columns[0].type == "long" and one.columns[0].nullable is False
    assert one.sources[0].resolved == str(tmp_path / "data" / "*.csv")
    assert one.sources[0].format == "csv"
    assert one.retention.deleted_files == 604800 and one.retention.vacuum is True
    assert one.managed_properties() == {"delta.deletedFileRetentionDuration": "interval 7 days"}
    assert two.uri == "s3://bucket/two"
    assert one.spec_hash.startswith("sha256:") and one.spec_hash != two.spec_hash


def test_spec_hash_changes_with_interpolated_value(tmp_path: Path) -> None:
    specs = _project(tmp_path)
    h1 = load_specs([specs], config=load_config(start=tmp_path, env={"DESC": "a"}))[0].spec_hash
    h2 = load_specs([specs], config=load_config(start=tmp_path, env={"DESC": "b"}))[0].spec_hash
    assert h1 != h2


def test_missing_env_var_is_named(tmp_path: Path) -> None:
    specs = _project(tmp_path)
    with pytest.raises(SpecInvalid) as e:
        load_specs([specs], config=load_config(start=tmp_path, env={}))
    (problem,) = e.value.problems
    assert "DESC is not set" in problem.message and problem.location.line == 5


def test_duplicate_names_and_locations(tmp_path: Path) -> None:
    specs = _project(tmp_path)
    (specs / "dup.yaml").write_text(TWO_DOCS.split("---\n")[1].replace("a.two", "a.three"))
    (specs / "dup2.yaml").write_text(TWO_DOCS.split("---\n")[1].replace("s3://bucket/two", "s3://bucket/x"))
    result = check_specs([specs], config=load_config(start=tmp_path, env={"DESC": "d"}))
    messages = [p.message for p in result.errors]
    assert any("same location s3://bucket/two" in m for m in messages)
    assert any("table name 'a.two' is already used" in m for m in messages)


def test_table_filter(tmp_path: Path) -> None:
    specs = _project(tmp_path)
    config = load_config(start=tmp_path, env={"DESC": "d"})
    assert [s.name for s in load_specs([specs], config=config, tables=["a.two"])] == ["a.two"]
    with pytest.raises(UsageError, match="no table named nope"):
        load_specs([specs], config=config, tables=["nope"])


def test_warning_fails_only_when_strict(tmp_path: Path) -> None:
    spec = tmp_path / "w.yaml"
    spec.write_text(TWO_DOCS.split("---\n")[1] + "retention: {deleted_files: 60 days, log: 7 days}\n")
    config = load_config(start=tmp_path, env={})
    assert len(load_specs([spec], config=config)) == 1
    with pytest.raises(SpecInvalid):
        load_specs([spec], config=config, strict=True)


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = check_specs([tmp_path / "empty", tmp_path / "nope"], config=load_config(start=tmp_path, env={}))
    assert [p.message.split(" ")[0] for p in result.errors] == ["no", "no"]
