"""Issue 13.1: a CSV row with fewer fields than the header is an error naming the file and line,
not a row of nulls; nothing is written. ``allow_short_rows: true`` lets them load as null."""

from __future__ import annotations

import gzip

from fixtures.upkeep import Project, lab_fixture

SOURCE = """\
sources:
  - name: drop
    format: csv
    path: ../data/
    mode: append
{options}"""


lab = lab_fixture(SOURCE.format(options=""))


def rows(lab: Project) -> list[tuple[object, ...]]:
    return sorted(lab.table.read().collect().iter_rows(), key=repr)


def test_truncated_last_line_is_refused_with_its_line(lab: Project) -> None:
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n2,b,2024-01-02\n3,c")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "a.csv:4: row has 2 field(s), the header has 3" in out, out
    assert "allow_short_rows" in out and "Traceback" not in out
    assert rows(lab) == []  # the create committed, the load wrote nothing
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 2 and "1 new" in out, out  # still owed


def test_every_short_row_is_counted_and_the_first_shown(lab: Project) -> None:
    lines = ["id,v,dt", '1,"two\nlines",2024-01-01', "2,b", "3,c,2024-01-01", "4", *(f"{i},x" for i in range(5, 12))]
    (lab.root / "data" / "a.csv").write_text("\n".join(lines) + "\n")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "9 short row(s)" in out and "4 more" in out, out
    assert "row 2" in out and "'2,b'" in out, out  # the quoted newline does not shift the row number
    assert rows(lab) == []


def test_gzipped_file_is_checked_too(lab: Project) -> None:
    (lab.root / "data" / "a.csv.gz").write_bytes(gzip.compress(b"id,v,dt\n1,a,2024-01-01\n2,b\n"))
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1 and "a.csv.gz:3: row has 2 field(s)" in out, out


def test_empty_trailing_fields_are_not_short(lab: Project) -> None:
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,,\n2,b,2024-01-01\n")
    lab.apply()

    assert rows(lab) == [(1, None, None), (2, "b", "2024-01-01")]


def test_allow_short_rows_loads_missing_fields_as_null(lab: Project) -> None:
    lab.spec(SOURCE.format(options="    options: {allow_short_rows: true}\n"))
    (lab.root / "data" / "a.csv").write_text("id,v,dt\n1,a,2024-01-01\n2,b")
    lab.apply()

    assert rows(lab) == [(1, "a", "2024-01-01"), (2, "b", None)]


def test_headerless_short_rows_count_from_line_one(lab: Project) -> None:
    lab.spec(SOURCE.format(options="    options: {header: false}\n"))
    (lab.root / "data" / "a.csv").write_text("1,a,2024-01-01\n2,b\n")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1 and "a.csv:2: row has 2 field(s)" in out and "(row 2)" in out, out


def test_a_parquet_struct_into_a_string_column_is_refused(lab: Project) -> None:
    """Issue 24.5: it was stored as JSON text without a word."""
    import polars as pl

    lab.spec(SOURCE.format(options="").replace("format: csv", "format: parquet"))
    pl.DataFrame({"id": [1], "v": [{"a": 1}], "dt": ["2024-01-01"]}).write_parquet(lab.root / "data" / "a.parquet")
    code, out = lab.cli("apply", "--auto-approve")

    assert code == 1 and "column 'v' is Struct" in out and "of table lab.events is string" in out, out
    assert rows(lab) == []
