"""Issue 24.1: an NDJSON field that first appears late in the file (after any inference window)
is loaded, or — when the spec does not declare it — refused with the file and the line where it
first appears; no value is dropped with exit 0."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from fixtures.upkeep import Project, lab_fixture

SOURCE = """\
sources:
  - name: drop
    format: ndjson
    path: ../data/
    mode: append
"""


lab = lab_fixture(SOURCE)


def write(path: Path, records: list[dict[str, Any]]) -> None:
    body = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(body) if path.name.endswith(".gz") else body)


def records(late: dict[str, Any], at: int = 1091, count: int = 1200) -> list[dict[str, Any]]:
    return [{"id": i, **(late if i == at else {})} for i in range(1, count + 1)]


@pytest.mark.parametrize("name", ["a.ndjson", "a.ndjson.gz"])
def test_a_declared_field_first_seen_late_is_loaded(lab: Project, name: str) -> None:
    write(lab.root / "data" / name, records({"v": "late", "dt": "2024-01-01"}))
    lab.apply()

    frame = lab.table.read().collect()
    assert frame.height == 1200
    assert frame.filter(frame["v"].is_not_null()).rows() == [(1091, "late", "2024-01-01")]


def test_an_unknown_field_first_seen_late_is_refused_with_its_line(lab: Project) -> None:
    write(lab.root / "data" / "a.ndjson", records({"surprise": 5}))
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "a.ndjson:1091: column(s) 'surprise' are not in table lab.events" in out, out
    assert lab.table.read().collect().height == 0


def test_a_late_field_whose_values_change_type_is_kept_as_text(lab: Project) -> None:
    """polars cannot infer one type for an object here and an array there; the names still come
    from the whole file, and a string column keeps each value's JSON spelling."""
    data = records({"v": {"a": 1}}, at=1500, count=1600)
    data[1549]["v"] = [1, 2]
    write(lab.root / "data" / "a.ndjson", data)
    lab.apply()

    frame = lab.table.read().collect()
    assert [json.loads(v) for v in frame.sort("id")["v"].to_list() if v is not None] == [{"a": 1}, [1, 2]]


def test_a_line_that_is_not_an_object_is_named(lab: Project) -> None:
    data = "".join(json.dumps({"id": i}) + "\n" for i in range(1, 40)) + "[1, 2, 3]\n"
    (lab.root / "data" / "a.ndjson").write_text(data)
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1 and "a.ndjson:40: a line holds a JSON list, not an object" in out, out
    assert "supertype" not in out


def test_a_nested_field_the_struct_does_not_declare_is_refused(lab: Project) -> None:
    """Issue 24.1 audit, nested fields: decoding JSON into a declared struct dropped unknown keys."""
    spec = (lab.root / "specs" / "events.yaml").read_text().replace(
        "  - {name: v, type: string}", "  - {name: v, type: 'struct<a:int>'}")
    (lab.root / "specs" / "events.yaml").write_text(spec)
    write(lab.root / "data" / "a.ndjson", [{"id": 1, "v": {"a": 1}}, {"id": 2, "v": {"a": 2, "b": 3}}])
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "column 'v': 1 value(s) do not fit: row 2: " in out and '"b": 3' in out, out
    assert lab.table.read().collect().height == 0


def test_declared_nested_fields_load(lab: Project) -> None:
    spec = (lab.root / "specs" / "events.yaml").read_text().replace(
        "  - {name: v, type: string}", "  - {name: v, type: 'struct<a:int,b:array<struct<c:string>>>'}")
    (lab.root / "specs" / "events.yaml").write_text(spec)
    write(lab.root / "data" / "a.ndjson", [{"id": 1, "v": {"a": 1, "b": [{"c": "x"}]}}, {"id": 2, "v": {"a": 2}}])
    lab.apply()
    assert lab.table.read().collect().sort("id")["v"].to_list() == [{"a": 1, "b": [{"c": "x"}]}, {"a": 2, "b": None}]
