"""Spec documents that probe the schema level: each is (case id, YAML text, valid at schema level?).

Used by test_schema_agreement.py, which runs them (with every other spec in the repository) through
``check-jsonschema`` and through ``tablespec validate``'s schema stage. The texts change one thing
in a valid base, so a verdict is about that one thing. "Valid" means the schema accepts the
document; the meaning checks (types, durations, partition columns, ...) may still reject it.
"""

from __future__ import annotations

BASE = """\
apiVersion: tablespec/v1
kind: Table
name: sales.orders
location: sales/orders
description: Orders
columns:
  - name: order_id
    type: long
    nullable: false
    comment: Primary key
  - name: dt
    type: date
partitioned_by: [dt]
properties:
  delta.appendOnly: "false"
constraints:
  positive_id: order_id > 0
retention:
  deleted_files: 7 days
  log: 30 days
  vacuum: true
sources:
  - name: daily
    path: data/*.csv
    format: csv
    mode: merge
    options: {header: true}
    extra_columns: ignore
    dedupe: last
    merge:
      keys: [order_id]
      when_matched: update
      when_not_matched: insert
      when_not_matched_by_source: keep
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def drop(line: str) -> str:
    return edit(line + "\n", "")


MINIMAL = "apiVersion: tablespec/v1\nkind: Table\nname: t\nlocation: t\ncolumns: [{name: a, type: int}]\n"

SCHEMA_CASES: list[tuple[str, str, bool]] = [
    ("base", BASE, True),
    ("minimal", MINIMAL, True),
    ("null_description", edit("description: Orders", "description:"), True),
    ("null_comment", edit("comment: Primary key", "comment: ~"), True),
    ("empty_sources", BASE.split("sources:")[0] + "sources: []\n", True),
    ("no_sources", BASE.split("sources:")[0], True),
    ("flow_style", "{apiVersion: tablespec/v1, kind: Table, name: t, location: t,\n"
                   " columns: [{name: a, type: int}]}\n", True),
    ("explicit_document_markers", "---\n" + MINIMAL + "...\n", True),
    ("anchors_and_aliases", MINIMAL.replace("columns: [{name: a, type: int}]",
                                            "columns:\n  - &c {name: a, type: int}\npartitioned_by: [a]"), True),
    ("merge_with_other_mode", edit("mode: merge", "mode: append"), True),
    ("mode_create", edit("mode: merge", "mode: create"), True),
    ("interpolated_location", edit("location: sales/orders", "location: ${TABLESPEC_SCHEMA_TEST_ROOT:-lake}/o"), True),
    ("unicode_comment", edit("comment: Primary key", "comment: Clé primaire ✓"), True),
    # missing required keys, at every level
    ("missing_api_version", drop("apiVersion: tablespec/v1"), False),
    ("missing_kind", drop("kind: Table"), False),
    ("missing_name", drop("name: sales.orders"), False),
    ("missing_location", drop("location: sales/orders"), False),
    ("missing_column_type", drop("    type: long"), False),
    ("missing_column_name", edit("  - name: dt\n    type: date", "  - type: date"), False),
    ("missing_source_name", edit("  - name: daily\n    path:", "  - path:"), False),
    ("missing_source_path", drop("    path: data/*.csv"), False),
    ("missing_merge_block", BASE.split("    merge:")[0], False),
    ("missing_merge_keys", drop("      keys: [order_id]"), False),
    # unknown keys, at every level
    ("unknown_top_key", edit("kind: Table", "kind: Table\nowner: data-team"), False),
    ("unknown_column_key", edit("    nullable: false", "    nullable: false\n    default: 0"), False),
    ("unknown_retention_key", edit("  log: 30 days", "  log: 30 days\n  checkpoint: 10"), False),
    ("unknown_source_key", edit("    dedupe: last", "    dedupe: last\n    schedule: daily"), False),
    ("unknown_merge_key", edit("      when_matched: update", "      when_matched: update\n      on: id"), False),
    ("key_case_matters", edit("kind: Table", "Kind: Table"), False),
    # wrong types
    ("api_version_number", edit("apiVersion: tablespec/v1", "apiVersion: 1"), False),
    ("name_number", edit("name: sales.orders", "name: 42"), False),
    ("name_list", edit("name: sales.orders", "name: [sales, orders]"), False),
    ("location_null", edit("location: sales/orders", "location:"), False),
    ("location_mapping", edit("location: sales/orders", "location: {path: x}"), False),
    ("description_number", edit("description: Orders", "description: 12"), False),
    ("description_list", edit("description: Orders", "description: [a]"), False),
    ("columns_mapping", MINIMAL.replace("columns: [{name: a, type: int}]", "columns: {a: int}"), False),
    ("columns_string", MINIMAL.replace("columns: [{name: a, type: int}]", "columns: a int"), False),
    ("column_is_string", MINIMAL.replace("columns: [{name: a, type: int}]", "columns: [a]"), False),
    ("column_type_number", MINIMAL.replace("type: int", "type: 5"), False),
    ("column_type_null", MINIMAL.replace("[{name: a, type: int}]", "\n  - name: a\n    type:"), False),
    ("nullable_string", edit("nullable: false", 'nullable: "false"'), False),
    ("nullable_null", edit("nullable: false", "nullable:"), False),
    ("comment_number", edit("comment: Primary key", "comment: 3.5"), False),
    ("partitioned_by_string", edit("partitioned_by: [dt]", "partitioned_by: dt"), False),
    ("partitioned_by_number_item", edit("partitioned_by: [dt]", "partitioned_by: [1]"), False),
    ("properties_list", edit('properties:\n  delta.appendOnly: "false"', "properties: [delta.appendOnly]"), False),
    ("property_bool", edit('delta.appendOnly: "false"', "delta.appendOnly: false"), False),
    ("property_number", edit('delta.appendOnly: "false"', "delta.checkpointInterval: 10"), False),
    ("property_null", edit('delta.appendOnly: "false"', "delta.appendOnly:"), False),
    ("constraint_number", edit("positive_id: order_id > 0", "positive_id: 1"), False),
    ("constraints_list", edit("constraints:\n  positive_id: order_id > 0", "constraints: [order_id > 0]"), False),
    ("retention_string", BASE.split("retention:")[0] + "retention: 7 days\nsources:" + BASE.split("sources:")[1],
     False),
    ("retention_number", edit("deleted_files: 7 days", "deleted_files: 7"), False),
    ("vacuum_string", edit("vacuum: true", 'vacuum: "true"'), False),
    ("sources_mapping", edit("sources:\n  - name: daily", "sources:\n  daily:\n    name: daily"), False),
    ("options_list", edit("options: {header: true}", "options: [header]"), False),
    ("merge_keys_string", edit("keys: [order_id]", "keys: order_id"), False),
    ("merge_keys_number_item", edit("keys: [order_id]", "keys: [1]"), False),
    ("document_is_list", "- apiVersion: tablespec/v1\n", False),
    ("document_is_string", "just a sentence\n", False),
    ("document_is_number", "42\n", False),
    # bad enum and const values
    ("api_version_v2", edit("tablespec/v1", "tablespec/v2"), False),
    ("kind_lowercase", edit("kind: Table", "kind: table"), False),
    ("format_xlsx", edit("format: csv", "format: xlsx"), False),
    ("format_uppercase", edit("format: csv", "format: CSV"), False),
    ("mode_upsert", edit("mode: merge", "mode: upsert"), False),
    ("extra_columns_drop", edit("extra_columns: ignore", "extra_columns: drop"), False),
    ("dedupe_first", edit("dedupe: last", "dedupe: first"), False),
    ("when_matched_replace", edit("when_matched: update", "when_matched: replace"), False),
    ("when_not_matched_delete", edit("when_not_matched: insert", "when_not_matched: delete"), False),
    ("when_not_matched_by_source_update", edit("by_source: keep", "by_source: update"), False),
    # patterns, lengths and sizes
    ("name_space", edit("name: sales.orders", "name: sales orders"), False),
    ("name_leading_dot", edit("name: sales.orders", "name: .orders"), False),
    ("name_trailing_newline", edit("name: sales.orders", 'name: "sales.orders\\n"'), False),
    ("name_block_scalar", edit("name: sales.orders", "name: |\n  sales.orders"), False),
    ("name_256_chars", edit("name: sales.orders", "name: " + "n" * 256), False),
    ("name_255_chars", edit("name: sales.orders", "name: " + "n" * 255), True),
    ("location_empty", edit("location: sales/orders", 'location: ""'), False),
    ("columns_empty", MINIMAL.replace("columns: [{name: a, type: int}]", "columns: []"), False),
    ("column_name_comma", MINIMAL.replace("name: a,", 'name: "a,b",'), False),
    ("column_name_equals", MINIMAL.replace("name: a,", 'name: "a=b",'), False),
    ("column_name_trailing_newline", MINIMAL.replace("name: a,", 'name: "a\\n",'), False),
    ("column_name_empty", MINIMAL.replace("name: a,", 'name: "",'), False),
    ("column_type_empty", MINIMAL.replace("type: int", 'type: ""'), False),
    ("partition_name_empty", edit("partitioned_by: [dt]", 'partitioned_by: [""]'), False),
    ("constraint_name_digit", edit("positive_id: order_id > 0", "1positive: order_id > 0"), False),
    ("constraint_name_dash", edit("positive_id: order_id > 0", "positive-id: order_id > 0"), False),
    ("constraint_name_trailing_newline", edit("positive_id: order_id > 0", '"positive_id\\n": order_id > 0'), False),
    ("constraint_empty", edit("positive_id: order_id > 0", "positive_id: ''"), False),
    ("source_name_space", edit("  - name: daily", "  - name: the daily"), False),
    ("source_path_empty", edit("path: data/*.csv", "path: ''"), False),
    ("merge_keys_empty", edit("keys: [order_id]", "keys: []"), False),
    ("merge_key_empty", edit("keys: [order_id]", "keys: ['']"), False),
    # several problems at once
    ("many_problems", "apiVersion: tablespec/v2\nkind: View\nname: 7\ncolumns: {}\nextra: 1\n", False),
]

# Several documents in one file: each document is compared on its own.
MULTI_DOCUMENT = (
    "multi_document",
    MINIMAL + "---\n" + MINIMAL.replace("name: t\nlocation: t", "name: u\nlocation: u").replace("int", "7") + "---\n"
    + MINIMAL.replace("name: t", "name: v").replace("location: t", "location: v") + "---\n",
)
