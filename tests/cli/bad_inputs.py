"""The bad-input corpus (issue 13, "Must show"): one table of cases over spec, data and CLI inputs.

Each :class:`Case` starts from the same project (``demo.t`` already applied once: a version and
rows to protect), changes one thing (the spec text, a data file, the command line), runs one
command and says what must come out: the exit code and the places the message must name
(file:line, table, column, row, the option). ``tests/cli/test_bad_input_corpus.py`` runs them;
:func:`counts` gives the figures reported in the issue's closing note.

The spec-only corpus of ``test_validate_corpus.py`` is part of this corpus too (``VALIDATE``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["spec", "data", "cli"]

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: demo.t
location: demo/t
description: Things
columns:
  - name: id
    type: long
    nullable: false
  - name: name
    type: string
  - name: amount
    type: decimal(10,2)
  - name: day
    type: date
sources:
  - name: s
    path: ../data/*.csv
    mode: append
"""
# spec line numbers the cases point at
LINE_DESCRIPTION, LINE_AMOUNT_TYPE, LINE_SOURCE_PATH = 5, 13, 18

BASE_CSV = "id,name,amount,day\n1,a,1.00,2026-01-01\n3000000000,,2.50,2026-01-02\n"  # a null name, a long id
BASE_ROWS = 2
SECRET = "s3cr3t-Value-Never-Shown-0123"


@dataclass(frozen=True)
class Case:
    """One bad (or odd-but-fine) input and what tablespec must answer.

    ``where``: regular expressions that must all match the output (stderr + stdout); they carry
    the location. ``absent``: texts that must not appear (secrets). ``code`` 0 marks an input
    accepted on purpose (then ``where`` holds the warning it gets, if any).
    """

    name: str
    kind: Kind
    argv: tuple[str, ...]
    code: int
    where: tuple[str, ...]
    spec_edits: tuple[tuple[str, str], ...] = ()
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    item: str = ""  # the issue-13 item this case pins, if any
    # the input leaves the table alone; False only for accepted inputs that load rows
    unchanged: bool = True


APPLY = ("apply", "--auto-approve")
PLAN = ("plan",)
SPEC_FILE = "specs/t.yaml"


def _spec(name: str, old: str, new: str, code: int, *where: str, argv: tuple[str, ...] = APPLY, item: str = "",
          env: dict[str, str] | None = None, absent: tuple[str, ...] = (), files: dict[str, str | bytes] | None = None,
          extra: tuple[tuple[str, str], ...] = ()) -> Case:
    assert old in SPEC, old
    return Case(name, "spec", argv, code, where, spec_edits=((old, new), *extra), env=env or {}, absent=absent,
                item=item, files=files or {})


def _data(name: str, path: str, content: str | bytes, code: int, *where: str, item: str = "",
          edits: tuple[tuple[str, str], ...] = (), unchanged: bool = True) -> Case:
    return Case(name, "data", APPLY, code, where, spec_edits=edits, files={path: content}, item=item,
                unchanged=unchanged)


def _cli(name: str, argv: tuple[str, ...], code: int, *where: str, item: str = "",
         files: dict[str, str | bytes] | None = None) -> Case:
    return Case(name, "cli", argv, code, where, files=files or {}, item=item)


NDJSON = ((("path: ../data/*.csv", "path: ../data/*.ndjson")),)
PARQUET = ((("path: ../data/*.csv", "path: ../data/*.parquet")),)

CASES: tuple[Case, ...] = (
    # --- spec inputs, run through apply: refused before anything is written ---------------------
    _spec("secret_in_description", "description: Things", "description: ${AWS_SECRET_ACCESS_KEY}", 3,
          rf"{SPEC_FILE}:{LINE_DESCRIPTION}:", "AWS_SECRET_ACCESS_KEY", env={"AWS_SECRET_ACCESS_KEY": SECRET},
          absent=(SECRET,), item="6"),
    _spec("secret_in_location", "location: demo/t", "location: demo/${AWS_SESSION_TOKEN}", 3,
          rf"{SPEC_FILE}:4:", "AWS_SESSION_TOKEN", env={"AWS_SESSION_TOKEN": SECRET}, absent=(SECRET,), item="6"),
    _spec("secret_like_variable", "description: Things", "description: ${MY_DB_PASSWORD}", 3,
          rf"{SPEC_FILE}:{LINE_DESCRIPTION}:", "MY_DB_PASSWORD", env={"MY_DB_PASSWORD": SECRET}, absent=(SECRET,),
          item="6"),
    _spec("flow_style_decimal", "  - name: amount\n    type: decimal(10,2)\n", "  - {name: amount, type: decimal(10,2)}\n", 3,
          rf"{SPEC_FILE}:12:", r"quote the type", item="17"),
    _spec("location_is_a_file", "location: demo/t", "location: {root}/data/a.csv", 1,
          r"demo\.t", r"is a file, not a (Delta )?table", item="11"),
    _spec("location_unknown_scheme", "location: demo/t", "location: foo://bar/t", 3,
          rf"{SPEC_FILE}:4:", r"s3://", item="18"),
    _spec("unset_variable", "location: demo/t", "location: ${TABLESPEC_CORPUS_UNSET}/t", 3,
          rf"{SPEC_FILE}:4:", "TABLESPEC_CORPUS_UNSET"),
    _spec("unknown_type", "type: date", "type: daet", 3, rf"{SPEC_FILE}:15:", "unknown type 'daet'"),
    _spec("drop_column_refused", "  - name: day\n    type: date\n", "", 4, r"demo\.t", r"\bday\b", r"--allow destructive"),
    _spec("narrow_type_refused", "  - name: id\n    type: long\n", "  - name: id\n    type: int\n", 4,
          r"demo\.t", r"\bid\b", r"--allow destructive", item="15"),
    _spec("narrow_type_values_do_not_fit", "  - name: id\n    type: long\n", "  - name: id\n    type: int\n", 4,
          r"demo\.t", r"'id'", r"row \d+", "3000000000", argv=(*APPLY, "--allow", "destructive"), item="15"),
    _spec("partition_change_refused", "sources:", "partitioned_by: [day]\nsources:", 4, r"demo\.t", r"\bday\b",
          item="15"),
    _spec("tighten_nullable_with_nulls", "  - name: name\n    type: string\n",
          "  - name: name\n    type: string\n    nullable: false\n", 4, r"demo\.t", r"'name'", r"null",
          argv=(*APPLY, "--allow", "rewrite")),
    # a glob that matches nothing is an empty landing folder, not an error
    _spec("source_glob_matches_nothing", "path: ../data/*.csv", "path: ../nodata/*.csv", 0, r"no changes"),
    _spec("add_not_null_column", "sources:", "  - name: extra\n    type: long\n    nullable: false\nsources:",
          4, r"demo\.t", r"'extra'", r"--allow rewrite"),
    # --- data inputs: a new file in the source folder, loaded by apply -------------------------
    _data("csv_value_does_not_fit", "data/bad.csv", "id,name,amount,day\n7,g,x,2026-01-07\n", 1,
          r"data/bad\.csv", r"'amount'", r"row 1 \(line 2\)"),
    _data("csv_null_in_not_null", "data/bad.csv", "id,name,amount,day\n,g,1.00,2026-01-07\n", 1,
          r"data/bad\.csv", r"'id'", r"row 1"),
    _data("csv_bad_date", "data/bad.csv", "id,name,amount,day\n7,g,1.00,2026-13-07\n", 1,
          r"data/bad\.csv", r"'day'", r"row 1"),
    _data("csv_decimal_too_precise", "data/bad.csv", "id,name,amount,day\n7,g,1.234,2026-01-07\n", 1,
          r"data/bad\.csv", r"'amount'", r"row 1"),
    _data("csv_unknown_column", "data/bad.csv", "id,name,amount,day,color\n7,g,1.00,2026-01-07,red\n", 1,
          r"data/bad\.csv", r"'color'"),
    _data("csv_header_only", "data/bad.csv", "id,name,amount,day\n", 1, r"data/bad\.csv", r"no data rows"),
    _data("csv_too_many_fields", "data/bad.csv", "id,name,amount,day\n7,g,1.00,2026-01-07\n8,h,1.00,2026-01-08,extra\n",
          1, r"data/bad\.csv:3\b", item="12"),
    _data("csv_unterminated_quote", "data/bad.csv", 'id,name,amount,day\n7,g,1.00,2026-01-07\n8,"h,1.00,2026-01-08\n',
          1, r"data/bad\.csv:3\b", r"quote", item="12"),
    _data("csv_invalid_utf8", "data/bad.csv", b"id,name,amount,day\n7,g,1.00,2026-01-07\n8,caf\xe9,1.00,2026-01-08\n",
          1, r"data/bad\.csv:3\b", r"encoding", item="12"),
    _data("csv_semicolon_delimited", "data/bad.csv", "id;name;amount;day\n7;g;1.00;2026-01-07\n", 1,
          r"data/bad\.csv", r"delimiter", item="13"),
    _data("ndjson_invalid_line", "data/bad.ndjson",
          '{"id": 7, "name": "g", "amount": "1.00", "day": "2026-01-07"}\n{"id": 8, "name":\n', 1,
          r"data/bad\.ndjson:2\b", edits=NDJSON, item="12"),
    _data("parquet_not_parquet", "data/bad.parquet", b"this is not parquet\n", 1, r"data/bad\.parquet",
          edits=PARQUET),
    # --- accepted on purpose: odd but well-defined inputs --------------------------------------
    _data("csv_crlf_lines", "data/crlf.csv", "id,name,amount,day\r\n7,g,1.00,2026-01-07\r\n", 0, r"demo\.t",
          unchanged=False),
    _data("csv_utf8_bom", "data/bom.csv", "\ufeffid,name,amount,day\n7,g,1.00,2026-01-07\n".encode(), 0, r"demo\.t",
          unchanged=False),
    _data("csv_no_final_newline", "data/last.csv", "id,name,amount,day\n7,g,1.00,2026-01-07", 0, r"demo\.t",
          unchanged=False),
    Case("empty_spec_file_warns", "spec", ("validate",), 0, (r"specs/empty\.yaml", r"warning"),
         files={"specs/empty.yaml": ""}, item="18"),
    # --- the second field trial (issue 24) and the rest of issue 13 -----------------------------
    Case("yaml_alias_bomb", "spec", ("validate",), 3, (r"specs/bomb\.yaml:6:1", r"aliases"), item="24.4",
         files={"specs/bomb.yaml": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
             f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True))}),
    Case("yaml_too_deep", "spec", ("validate",), 3, (r"specs/deep\.yaml:1:1", r"deeper than 64"), item="24.4",
         files={"specs/deep.yaml": "a: " + "[" * 100 + "]" * 100 + "\n"}),
    Case("yaml_mapping_as_key", "spec", ("validate",), 3, (r"specs/key\.yaml:1:3", r"plain text"), item="24.4",
         files={"specs/key.yaml": "? [a, b]\n: 1\n"}),
    _spec("property_value_not_boolean", "description: Things", 'description: Things\nproperties:\n  delta.appendOnly: "maybe"',
          3, rf"{SPEC_FILE}:7:", r"delta\.appendOnly", r"not a boolean", argv=PLAN, item="24.3"),
    _spec("property_key_misspelt", "description: Things", 'description: Things\nproperties:\n  delta.apendOnly: "true"',
          3, rf"{SPEC_FILE}:7:", r"did you mean delta\.appendOnly", argv=PLAN, item="24.3"),
    _spec("check_unknown_column", "sources:", "constraints:\n  positive: amont > 0\nsources:", 3,
          rf"{SPEC_FILE}:17:", r"'amont'", r"did you mean 'amount'", argv=PLAN, item="15.1"),
    _spec("check_not_sql", "sources:", "constraints:\n  positive: amount >\nsources:", 3,
          rf"{SPEC_FILE}:17:", r"not valid SQL", argv=PLAN, item="15.1"),
    _spec("check_literal_overflows_decimal", "sources:", "constraints:\n  small: amount < 100000000000\nsources:", 3,
          rf"{SPEC_FILE}:17:", r"does not fit decimal\(10,2\)", argv=PLAN, item="15.1"),
    _spec("generated_unknown_column", "  - name: day\n    type: date\n",
          "  - name: day\n    type: date\n  - name: d2\n    type: date\n    generated: CAST(dya AS DATE)\n", 3,
          rf"{SPEC_FILE}:18:", r"'dya'", r"did you mean 'day'", argv=PLAN, item="24.2"),
    _spec("generated_not_deterministic", "  - name: day\n    type: date\n",
          "  - name: day\n    type: date\n  - name: r\n    type: double\n    generated: rand()\n", 3,
          rf"{SPEC_FILE}:18:", r"rand\(\)", argv=PLAN, item="24.2"),
    _spec("unknown_encoding", "    mode: append\n", "    mode: append\n    options: {encoding: utf-99}\n", 3,
          rf"{SPEC_FILE}:20:25", r"unknown encoding 'utf-99'", argv=PLAN, item="24.5"),
    _spec("z_order_on_a_struct", "  - name: day\n    type: date\n",
          "  - name: day\n    type: date\n  - name: meta\n    type: struct<a:int>\nmaintenance:\n  optimize:\n"
          "    z_order: [meta]\n", 3, rf"{SPEC_FILE}:20:15", r"z_order column 'meta' is struct", argv=PLAN, item="24.5"),
    _cli("diff_missing_path", ("diff", "specs", "nosuch"), 64, r"nosuch", item="24.7"),
    _cli("schema_output_missing_folder", ("schema", "--output", "nodir/x.json"), 64, r"nodir/x\.json", item="24.7"),
    _data("csv_utf16", "data/u16.csv", "id,name,amount,day\n7,g,1.00,2026-01-07\n".encode("utf-16"), 1,
          r"data/u16\.csv:1\b", r"UTF-16", r"encoding: utf-16", item="24.6"),
    _data("csv_gz_corrupt", "data/bad.csv.gz", b"\x1f\x8b\x08\x00garbage-not-gzip-data", 1,
          r"data/bad\.csv\.gz", r"not a valid gzip file", item="24.6",
          edits=(("path: ../data/*.csv", "path: ../data/*.csv.gz"),)),
    _data("csv_stray_quote", "data/q.csv", 'id,name,amount,day\n7,g"h,1.00,2026-01-07\n', 1,
          r"data/q\.csv:2\b", r"quote character", item="24.6"),
    _data("csv_day_month_year", "data/d.csv", "id,name,amount,day\n7,g,1.00,07/01/2026\n", 1,
          r"data/d\.csv", r"line 2", r"date_format", item="24.6"),
    _data("ndjson_line_is_an_array", "data/bad.ndjson", '{"id": 7, "name": "g"}\n[1, 2, 3]\n', 1,
          r"data/bad\.ndjson:2\b", r"JSON list", edits=NDJSON, item="24.6"),
    _data("csv_short_last_line", "data/short.csv", "id,name,amount,day\n7,g,1.00,2026-01-07\n8,h,1.00", 1,
          r"data/short\.csv:3\b", r"row has 3 field", r"allow_short_rows", item="13.1"),
    _data("csv_short_row_null_partition", "data/short.csv", "id,name,amount,day\n7,g\n8,h,1.00,2026-01-08\n", 1,
          r"data/short\.csv:2\b", r"header has 4", item="13.1"),
    Case("non_yaml_file_in_specs_ignored", "spec", ("validate",), 0, (r"Valid: 1 table",),
         files={"specs/README.md": "# notes\n"}),
    # --- command-line inputs ------------------------------------------------------------------
    _cli("warehouse_unknown_scheme", ("plan", "--warehouse", "foo://bar/x"), 64, r"foo://", r"--warehouse", r"s3://",
         item="18"),
    _cli("import_out_missing_folder", ("import", "warehouse/demo/t", "--name", "demo.t", "--out", "nofolder/t.yaml"),
         64, r"nofolder/t\.yaml", item="16"),
    _cli("import_out_under_a_file", ("import", "warehouse/demo/t", "--name", "demo.t", "--out", "data/a.csv/t.yaml"),
         64, r"data/a\.csv/t\.yaml", item="16"),
    _cli("import_out_exists", ("import", "warehouse/demo/t", "--name", "demo.t", "--out", "specs/t.yaml"), 64,
         r"specs/t\.yaml", r"--force"),
    _cli("plan_out_missing_folder", ("plan", "--out", "nofolder/plan.json"), 64, r"nofolder/plan\.json"),
    _cli("plan_bad_format", ("plan", "--format", "xml"), 64, r"--format"),
    _cli("plan_unknown_table", ("plan", "--table", "no.such"), 64, r"no\.such"),
    _cli("apply_unknown_allow", ("apply", "--allow", "everything"), 64, r"--allow"),
    _cli("apply_plan_missing", ("apply", "--plan", "missing.json", "--auto-approve"), 64, r"missing\.json"),
    _cli("apply_plan_not_json", ("apply", "--plan", "data/a.csv", "--auto-approve"), 64, r"data/a\.csv"),
    _cli("apply_plan_not_a_plan", ("apply", "--plan", "p.json", "--auto-approve"), 64, r"p\.json",
         files={"p.json": '{"format_version": 1}'}),
    _cli("read_missing_version", ("read", "demo.t", "--version", "99"), 1, r"demo\.t", r"\b99\b"),
    _cli("read_bad_as_of", ("read", "demo.t", "--as-of", "yesterday"), 64, r"--as-of", r"yesterday"),
    _cli("show_unknown_table", ("show", "no.such"), 64, r"no\.such"),
    _cli("validate_missing_path", ("validate", "nospecs"), 3, r"nospecs"),
    _cli("config_not_yaml", ("plan",), 3, r"tablespec\.yaml", files={"tablespec.yaml": "warehouse: [oops\n"}),
    _cli("config_unknown_key", ("plan",), 3, r"tablespec\.yaml", r"wherehouse",
         files={"tablespec.yaml": "wherehouse: warehouse\n"}),
)


def validate_cases() -> tuple[Case, ...]:
    """The older spec corpus (tests/cli/test_validate_corpus.py) as cases of this one."""
    from test_validate_corpus import CASES as VALIDATE

    return tuple(
        Case(f"validate_{name}", "spec", ("validate", "specs/orders.yaml"), 3,
             (rf"specs/orders\.yaml:{line}:",), files={"specs/orders.yaml": text})
        for name, text, line, _message in VALIDATE
    )


def all_cases() -> tuple[Case, ...]:
    return CASES + validate_cases()


def counts(cases: tuple[Case, ...] | None = None) -> dict[str, int]:
    """The closing-note figures: cases, located (names a place), refused (exit != 0), accepted."""
    cases = all_cases() if cases is None else cases
    by_kind = Counter(c.kind for c in cases)
    return {
        "cases": len(cases),
        "located": sum(1 for c in cases if c.where),
        "refused": sum(1 for c in cases if c.code != 0),
        "accepted_on_purpose": sum(1 for c in cases if c.code == 0),
        **{f"kind_{k}": n for k, n in sorted(by_kind.items())},
    }


if __name__ == "__main__":
    import json
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    print(json.dumps(counts(), indent=2))
