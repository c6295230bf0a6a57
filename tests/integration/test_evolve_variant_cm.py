"""``variant`` columns and column-mapping tables (issue 18).

variant: in the type grammar (nested too); a spec creates the table with the variantType
feature; planning it again is clean. delta-rs 1.6 has no JSON text -> variant encoding, so a
source on a table with a variant column is refused at validate, naming the column.

Column mapping: ``delta.columnMapping.mode: name`` in ``properties`` creates a column-mapping
table; loads work; the schema changes delta-rs 1.6 cannot make on such a table are planned as
``unsupported`` with the reason, and apply refuses them without touching the table.
"""

from __future__ import annotations

from fixtures.evolve import Project, local_project  # noqa: F401 - fixture

VARIANT = """\
apiVersion: tablespec/v1
kind: Table
name: raw.events
location: raw/events
columns:
  - {name: id, type: long}
  - {name: payload, type: variant}
  - {name: history, type: "array<variant>"}
  - {name: extra, type: "struct<v:variant,n:int>"}
"""
CM = """\
apiVersion: tablespec/v1
kind: Table
name: crm.people
location: crm/people
columns:
  - {name: id, type: long}
  - {name: name, type: string}
properties:
  delta.columnMapping.mode: name
sources:
  - {name: seed, path: ../data/people.csv, mode: append}
  - name: updates
    path: ../data/updates.csv
    mode: merge
    merge: {keys: [id]}
"""


def test_a_variant_table_is_created_and_plans_clean(local_project: Project) -> None:
    p = local_project
    p.spec(VARIANT)
    code, out = p.apply()
    assert code == 0, out
    protocol = p.table("raw/events").raw().protocol()
    assert "variantType" in (protocol.reader_features or [])
    assert p.converged()


def test_a_load_into_a_variant_table_is_refused_at_validate(local_project: Project) -> None:
    p = local_project
    p.spec(VARIANT + "sources:\n  - {name: s, path: ../data/e.ndjson}\n")
    code, out = p.cli("validate")
    assert code == 3 and "variant" in out and "payload" in out and "source" in out
    assert "unknown type" not in out


def test_a_column_mapping_table_is_declared_and_loaded(local_project: Project) -> None:
    p = local_project
    p.spec(CM)
    p.file("data/people.csv", "id,name\n1,ann\n2,bob\n")
    p.file("data/updates.csv", "id,name\n2,bea\n3,cid\n")
    code, out = p.apply()
    assert code == 0, out
    table = p.table("crm/people")
    assert table.properties["delta.columnMapping.mode"] == "name"
    assert table.raw().protocol().min_reader_version >= 2
    rows = table.read().sort("id").collect().to_dicts()
    assert rows == [{"id": 1, "name": "ann"}, {"id": 2, "name": "bea"}, {"id": 3, "name": "cid"}]
    assert p.converged()


def test_adding_a_column_to_a_column_mapping_table_is_unsupported_with_the_reason(local_project: Project) -> None:
    p = local_project
    p.spec(CM)
    p.file("data/people.csv", "id,name\n1,ann\n")
    p.file("data/updates.csv", "id,name\n1,ann\n")
    assert p.apply()[0] == 0
    version = p.table("crm/people").version
    p.spec(CM.replace("  - {name: name, type: string}\n", "  - {name: name, type: string}\n  - {name: age, type: int}\n"))
    refused = [a for a in p.actions() if a["risk"] == "unsupported"]
    assert len(refused) == 1 and "column mapping" in refused[0]["reason"]
    code, out = p.apply("--allow", "rewrite", "--allow", "destructive")
    assert code == 4 and "column mapping" in out
    assert p.table("crm/people").version == version


def test_import_of_a_column_mapping_table_keeps_the_mode(local_project: Project) -> None:
    p = local_project
    p.spec(CM)
    p.file("data/people.csv", "id,name\n1,ann\n")
    p.file("data/updates.csv", "id,name\n1,ann\n")
    assert p.apply()[0] == 0
    code, out = p.cli("import", p.uri("crm/people"), "--name", "crm.people")
    assert code == 0, out
    assert "delta.columnMapping.mode: name" in out
