"""Generated columns (issue 18): ``generated: EXPR`` becomes the column's Delta generation
expression when the table is created; loads leave the column out and delta-rs computes it (a
source that supplies it must match, delta-rs checks); import writes it back; changing it, adding
a generated column to an existing table, or making a column generated later is refused."""

from __future__ import annotations

from fixtures.evolve import Project, local_project  # noqa: F401 - fixture

from tablespec.inspect.show import describe

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: shop.orders
location: shop/orders
columns:
  - {name: id, type: long}
  - {name: amount, type: double}
  - {name: amount_cents, type: long, generated: "CAST(amount * 100 AS BIGINT)"}
sources:
  - {name: daily, path: ../data/orders.csv, mode: append}
"""
CSV = "id,amount\n1,1.5\n2,2.25\n3,10\n"


def test_generated_values_are_computed_for_loaded_rows(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    p.file("data/orders.csv", CSV)
    code, out = p.apply()
    assert code == 0, out
    table = p.table("shop/orders")
    field = [f for f in describe(p.uri("shop/orders"), {}).columns if f.name == "amount_cents"]
    assert field
    rows = table.read().sort("id").collect().to_dicts()
    assert [r["amount_cents"] for r in rows] == [150, 225, 1000]
    assert p.converged()


def test_a_source_that_supplies_the_generated_column_is_refused(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    p.file("data/orders.csv", "id,amount,amount_cents\n1,1.5,7\n")
    code, out = p.apply()
    assert code == 1 and "'amount_cents' is a generated column" in out and "orders.csv" in out
    assert p.table("shop/orders").read().collect().height == 0


def test_import_round_trips_the_expression(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    p.file("data/orders.csv", CSV)
    assert p.apply()[0] == 0
    code, out = p.cli("import", p.uri("shop/orders"), "--name", "shop.orders")
    assert code == 0, out
    assert 'generated: CAST(amount * 100 AS BIGINT)' in out


def test_changing_the_expression_is_refused_with_the_reason(local_project: Project) -> None:
    p = local_project
    p.spec(SPEC)
    p.file("data/orders.csv", CSV)
    assert p.apply()[0] == 0
    p.spec(SPEC.replace("CAST(amount * 100 AS BIGINT)", "CAST(amount * 1000 AS BIGINT)"))
    actions = p.actions()
    refused = [a for a in actions if a["risk"] == "unsupported"]
    assert len(refused) == 1 and "generation expression" in refused[0]["reason"]
    assert "amount_cents" in refused[0]["reason"]
    code, out = p.apply("--allow", "rewrite", "--allow", "destructive")
    assert code == 4 and "generation expression" in out


def test_adding_a_generated_column_to_an_existing_table_is_refused(local_project: Project) -> None:
    p = local_project
    plain = SPEC.replace('  - {name: amount_cents, type: long, generated: "CAST(amount * 100 AS BIGINT)"}\n', "")
    p.spec(plain)
    p.file("data/orders.csv", CSV)
    assert p.apply()[0] == 0
    p.spec(SPEC)
    refused = [a for a in p.actions() if a["risk"] == "unsupported"]
    assert len(refused) == 1 and "generated" in refused[0]["reason"]
    assert p.apply()[0] == 4


def test_a_generated_column_must_not_be_a_partition_of_itself_or_unknown(local_project: Project) -> None:
    """validate: the expression must not refer to its own column."""
    p = local_project
    p.spec(SPEC.replace("CAST(amount * 100 AS BIGINT)", "amount_cents + 1"))
    code, out = p.cli("validate")
    assert code == 3 and "generated" in out and "amount_cents" in out
