"""Adding fields inside struct columns (issue 18): a ``metadata`` action, one schema-only commit
(no data file added or removed), old rows read the new fields as null. Inside arrays and maps too.
Reordering or removing struct fields stays refused, with the reason."""

from __future__ import annotations

import pyarrow as pa
from fixtures.evolve import Project, commit_actions, local_project  # noqa: F401 - fixture

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: crm.contacts
location: crm/contacts
columns:
  - {name: id, type: long}
  - {name: address, type: "struct<street:string,city:string>"}
  - {name: items, type: "array<struct<sku:string>>"}
  - {name: attrs, type: "map<string,struct<a:int>>"}
"""
WIDER = (SPEC.replace("struct<street:string,city:string>", "struct<street:string,city:string,zip:string>")
         .replace("array<struct<sku:string>>", "array<struct<sku:string,qty:long>>")
         .replace("map<string,struct<a:int>>", "map<string,struct<a:int,b:struct<c:date>>>"))


def seed(p: Project) -> None:
    p.table("crm/contacts").append(pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "address": pa.array([{"street": "Main", "city": "Oslo"}, None],
                            pa.struct([("street", pa.string()), ("city", pa.string())])),
        "items": pa.array([[{"sku": "x"}], []], pa.list_(pa.struct([("sku", pa.string())]))),
        "attrs": pa.array([[("k", {"a": 1})], None], pa.map_(pa.string(), pa.struct([("a", pa.int32())]))),
    }))  # fmt: skip


def test_nested_additions_are_one_metadata_commit_and_old_rows_read_null(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    assert p.apply()[0] == 0
    seed(p)
    table = p.table("crm/contacts")
    version, files = table.version, sorted(table.raw().file_uris())
    p.spec(WIDER)
    actions = p.actions()
    assert [a["action"] for a in actions] == ["AddStructFields"]
    assert actions[0]["risk"] == "metadata"
    code, out = p.cli("plan")
    assert "address.zip" in out and "items.element.qty" in out and "attrs.value.b" in out
    code, out = p.apply()  # metadata: no --allow needed
    assert code == 0, out
    table = p.table("crm/contacts")
    assert table.version == version + 1
    assert sorted(table.raw().file_uris()) == files  # no data file added or removed
    kinds = commit_actions(p.uri("crm/contacts"), version + 1)
    assert sorted(set(kinds)) == ["commitInfo", "metaData"]
    rows = table.read().sort("id").collect().to_dicts()
    assert rows[0]["address"] == {"street": "Main", "city": "Oslo", "zip": None}
    assert rows[0]["items"] == [{"sku": "x", "qty": None}]
    assert rows[1]["address"] is None
    assert p.converged()


def test_reordering_struct_fields_is_refused_with_the_reason(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    assert p.apply()[0] == 0
    p.spec(SPEC.replace("struct<street:string,city:string>", "struct<city:string,street:string>"))
    [action] = p.actions()
    assert action["risk"] == "unsupported"
    assert "order" in action["reason"] and "address" in action["reason"]
    code, out = p.apply("--allow", "rewrite", "--allow", "destructive")
    assert code == 4 and "order" in out


def test_removing_a_struct_field_is_refused_with_the_reason(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    assert p.apply()[0] == 0
    p.spec(SPEC.replace("struct<street:string,city:string>", "struct<street:string>"))
    [action] = p.actions()
    assert action["risk"] == "unsupported"
    assert "city" in action["reason"] and "remov" in action["reason"]
    code, out = p.apply("--allow", "rewrite", "--allow", "destructive")
    assert code == 4


def test_nested_addition_on_a_column_mapping_table_is_unsupported(local_project: Project) -> None:
    p = local_project
    cm = SPEC + "properties:\n  delta.columnMapping.mode: name\n"
    p.spec(cm)
    assert p.apply()[0] == 0
    p.spec(cm.replace("struct<street:string,city:string>", "struct<street:string,city:string,zip:string>"))
    [action] = p.actions()
    assert action["risk"] == "unsupported" and "column mapping" in action["reason"]
