"""``renamed_from`` (issue 18): a rename is one RenameColumn action, never a drop plus an add.

delta-rs 1.6 has no rename, and cannot change the schema of a column-mapping table at all, so a
rename is a verified rewrite (class ``rewrite``, needs ``--allow rewrite``): every value of the old
column is the new column's afterwards, the row count is checked, in one commit. Once applied,
``renamed_from`` names a column that no longer exists and is a no-op, so the spec can keep it.
"""

from __future__ import annotations

import pyarrow as pa
from fixtures.evolve import Project, any_project, local_project  # noqa: F401 - fixtures

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: crm.people
location: crm/people
columns:
  - {name: id, type: long, nullable: false}
  - {name: customer, type: string, comment: Who ordered}
  - {name: amount, type: double}
constraints:
  amount_positive: amount > 0
"""
RENAMED = SPEC.replace("{name: customer, type: string, comment: Who ordered}",
                       "{name: customer_name, type: string, comment: Who ordered, renamed_from: customer}")


def seed(project: Project, n: int = 5) -> None:
    project.table("crm/people").append(pa.table({
        "id": pa.array(range(n), pa.int64()),
        "customer": [f"c{i}" if i % 3 else None for i in range(n)],
        "amount": [float(i) + 0.5 for i in range(n)],
    }))  # fmt: skip


def test_rename_is_one_action_then_a_verified_rewrite(any_project: Project) -> None:
    p = any_project
    p.spec(SPEC)
    assert p.apply()[0] == 0
    seed(p)
    table = p.table("crm/people")
    before = table.read().sort("id").collect()
    version = table.version
    p.spec(RENAMED)
    actions = p.actions()
    assert [a["action"] for a in actions] == ["RenameColumn"]
    [rename] = actions
    assert rename["risk"] == "rewrite"
    assert (rename["old"], rename["new"]) == ("customer", "customer_name")
    code, out = p.cli("plan")
    assert "rename column customer -> customer_name" in out and "drop column" not in out
    code, out = p.apply()
    assert code == 4 and "--allow rewrite" in out
    assert p.table("crm/people").version == version
    code, out = p.apply("--allow", "rewrite")
    assert code == 0, out
    table = p.table("crm/people")
    assert table.version == version + 1  # one commit
    assert table.schema.names == ["id", "customer_name", "amount"]
    assert table.schema.field("customer_name").metadata == {b"comment": b"Who ordered"}
    after = table.read().sort("id").collect()
    assert after["customer_name"].to_list() == before["customer"].to_list()
    assert after["amount"].to_list() == before["amount"].to_list()
    assert table.constraints == {"amount_positive": "amount > 0"}
    assert p.converged()  # renamed_from now names no column: a no-op
    assert p.apply()[1].count("no changes") == 1


def test_renamed_from_colliding_with_another_column_is_invalid(local_project: Project) -> None:
    p = local_project
    path = p.spec(SPEC.replace("{name: amount, type: double}", "{name: amount, type: double, renamed_from: id}"))
    code, out = p.cli("validate")
    assert code == 3
    assert f"{path.relative_to(p.root)}:8:" in out
    assert "renamed_from" in out and "'id'" in out


def test_two_columns_renamed_from_the_same_column_is_invalid(local_project: Project) -> None:
    p = local_project
    p.spec(RENAMED.replace("{name: amount, type: double}", "{name: amount, type: double, renamed_from: customer}"))
    code, out = p.cli("validate")
    assert code == 3 and "renamed_from" in out and "customer" in out


def test_renamed_from_itself_is_invalid(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC.replace("{name: amount, type: double}", "{name: amount, type: double, renamed_from: Amount}"))
    code, out = p.cli("validate")
    assert code == 3 and "renamed_from" in out


def test_rename_of_a_column_a_constraint_uses_is_refused_with_the_reason(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    assert p.apply()[0] == 0
    seed(p)
    p.spec(SPEC.replace("{name: amount, type: double}", "{name: total, type: double, renamed_from: amount}"))
    version = p.table("crm/people").version
    code, out = p.apply("--allow", "rewrite")
    assert code == 4 and "amount_positive" in out
    assert p.table("crm/people").version == version


def test_renamed_from_on_a_new_table_is_a_no_op(local_project: Project) -> None:
    p = local_project
    p.spec(RENAMED)
    assert p.apply()[0] == 0
    assert p.table("crm/people").schema.names == ["id", "customer_name", "amount"]
    assert p.converged()


def test_rename_on_a_column_mapping_table_is_unsupported_with_the_reason(local_project: Project) -> None:
    p = local_project
    cm = SPEC + "properties:\n  delta.columnMapping.mode: name\n"
    p.spec(cm)
    assert p.apply()[0] == 0
    p.spec(cm.replace("{name: customer, type: string, comment: Who ordered}",
                      "{name: customer_name, type: string, comment: Who ordered, renamed_from: customer}"))
    [action] = p.actions()
    assert action["action"] == "RenameColumn" and action["risk"] == "unsupported"
    assert "column mapping" in action["reason"]
    version = p.table("crm/people").version
    code, out = p.apply("--allow", "rewrite")
    assert code == 4 and "column mapping" in out
    assert p.table("crm/people").version == version


def test_renaming_a_partition_column_keeps_it_the_partition_column(local_project: Project) -> None:
    p = local_project
    parted = SPEC.replace("constraints:\n  amount_positive: amount > 0\n", "partitioned_by: [customer]\n")
    p.spec(parted)
    assert p.apply()[0] == 0
    seed(p)
    before = p.table("crm/people").read().sort("id").collect()
    p.spec(parted.replace("{name: customer, type: string, comment: Who ordered}",
                          "{name: customer_name, type: string, comment: Who ordered, renamed_from: customer}")
           .replace("partitioned_by: [customer]", "partitioned_by: [customer_name]"))
    assert [a["action"] for a in p.actions()] == ["RenameColumn"]
    code, out = p.apply("--allow", "rewrite")
    assert code == 0, out
    table = p.table("crm/people")
    assert table.partition_by == ("customer_name",)
    assert table.read().sort("id").collect()["customer_name"].to_list() == before["customer"].to_list()
    assert p.converged()
