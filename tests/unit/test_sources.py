"""Source discovery and the typed reader, on real files in tmp_path (no Delta table involved)."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tablespec.errors import DataError, SpecInvalid
from tablespec.model.spec import ColumnSpec, SourceSpec, TableSpec
from tablespec.sources.discover import _glob_regex, describe, discover, parquet_rows
from tablespec.sources.read import open_stream

UTC = dt.timezone.utc


def table(*columns: tuple[str, str] | tuple[str, str, bool]) -> TableSpec:
    cols = tuple(ColumnSpec(c[0], c[1], c[2] if len(c) > 2 else True) for c in columns)  # type: ignore[misc]
    return TableSpec(name="t", location="t", uri="/nowhere", columns=cols)


def src(path: Path | str, fmt: str = "csv", **kw: Any) -> SourceSpec:
    options = tuple(sorted((kw.pop("options", None) or {}).items()))
    return SourceSpec(name="s", path=str(path), resolved=str(path), format=fmt, options=options, **kw)  # type: ignore[arg-type]


def read(path: Path, spec: TableSpec, fmt: str = "csv", **kw: Any) -> list[dict[str, Any]]:
    source = src(path, fmt, **kw)
    [file] = discover(source, storage_options={})
    return open_stream(source, file, spec, storage_options={}).reader().read_all().to_pylist()


def fails(path: Path, spec: TableSpec, fmt: str = "csv", **kw: Any) -> DataError:
    with pytest.raises(DataError) as info:
        read(path, spec, fmt, **kw)
    assert info.value.file == str(path)
    return info.value


# --- discovery --------------------------------------------------------------------------------


def test_discover_glob_sorted_with_sha256(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("x\n1\n")
    (tmp_path / "a.csv").write_text("x\n2\n")
    (tmp_path / "c.txt").write_text("no")
    (tmp_path / ".hidden.csv").write_text("x\n")
    files = discover(src(tmp_path / "*.csv"), storage_options={})
    assert [Path(f.path).name for f in files] == ["a.csv", "b.csv"]
    assert files[0].digest == hashlib.sha256(b"x\n2\n").hexdigest()
    assert files[0].size == 4 and os.path.isabs(files[0].path)


def test_discover_recursive_glob_and_folder(tmp_path: Path) -> None:
    (tmp_path / "2026" / "01").mkdir(parents=True)
    (tmp_path / "2026" / "01" / "x.csv").write_text("a\n")
    (tmp_path / "top.csv").write_text("b\n")
    (tmp_path / "_SUCCESS").write_text("")
    assert [Path(f.path).name for f in discover(src(tmp_path / "**" / "*.csv"), storage_options={})] == [
        "x.csv",
        "top.csv",
    ]
    assert sorted(Path(f.path).name for f in discover(src(tmp_path), storage_options={})) == ["top.csv", "x.csv"]


def test_discover_nothing_yet_vs_missing_file(tmp_path: Path) -> None:
    assert discover(src(tmp_path / "*.csv"), storage_options={}) == ()
    with pytest.raises(DataError, match="does not exist"):
        discover(src(tmp_path / "missing.csv"), storage_options={})


def test_describe_sees_new_content(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("x\n1\n")
    first = describe(str(p), storage_options={})
    p.write_text("x\n2\n")
    assert describe(str(p), storage_options={}).digest != first.digest


@pytest.mark.parametrize(
    ("pattern", "path", "match"),
    [
        ("b/in/*.csv", "b/in/a.csv", True),
        ("b/in/*.csv", "b/in/sub/a.csv", False),
        ("b/in/**/*.csv", "b/in/a.csv", True),
        ("b/in/**/*.csv", "b/in/x/y/a.csv", True),
        ("b/in/?.csv", "b/in/ab.csv", False),
        ("b/in/[ab].csv", "b/in/b.csv", True),
        ("b/in/[!ab].csv", "b/in/b.csv", False),
        ("b/in/a+b.csv", "b/in/a+b.csv", True),
    ],
)
def test_glob_regex(pattern: str, path: str, match: bool) -> None:
    assert bool(_glob_regex(pattern).fullmatch(path)) is match


def test_row_counts_from_parquet_footers(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": [1, 2, 3]}), tmp_path / "a.parquet")
    source = src(tmp_path / "*.parquet", "parquet")
    files = discover(source, storage_options={})
    assert parquet_rows(files[0], storage_options={}) == 3
    (tmp_path / "b.csv").write_text("id\n1\n")
    [csv] = discover(src(tmp_path / "*.csv"), storage_options={})
    assert parquet_rows(csv, storage_options={}) is None  # not parquet: no footer, no count


# --- typing -----------------------------------------------------------------------------------

ALL_TYPES = table(
    ("id", "long", False), ("b", "boolean"), ("i8", "byte"), ("i16", "short"), ("i32", "integer"), ("f", "float"),
    ("d", "double"), ("amount", "decimal(18,2)"), ("s", "string"), ("bin", "binary"), ("day", "date"),
    ("ts", "timestamp"), ("ntz", "timestamp_ntz"), ("tags", "array<string>"), ("attrs", "map<string,integer>"),
    ("point", "struct<x:integer,y:integer>"),
)  # fmt: skip


def test_csv_every_type(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(
        "ID,b,i8,i16,i32,f,d,amount,s,bin,day,ts,ntz,tags,attrs,point\n"
        " 1 ,Yes,-128,300,70000,1.5,2.25,12.30,hi,ab,2026-01-02,2026-11-01T10:00:00Z,2026-11-01 10:00:00,"
        '"[""a"",""b""]","{""k"": 1}","{""x"": 1, ""y"": 2}"\n'
        "2,false,,,,,,,,,,2026-11-01 12:00:00+02:00,2026-11-01T10:00:00+02:00,,,\n"
    )
    rows = read(p, ALL_TYPES)
    assert rows[0] == {
        "id": 1, "b": True, "i8": -128, "i16": 300, "i32": 70000, "f": 1.5, "d": 2.25,
        "amount": decimal.Decimal("12.30"), "s": "hi", "bin": b"ab", "day": dt.date(2026, 1, 2),
        "ts": dt.datetime(2026, 11, 1, 10, tzinfo=UTC), "ntz": dt.datetime(2026, 11, 1, 10),
        "tags": ["a", "b"], "attrs": [("k", 1)], "point": {"x": 1, "y": 2},
    }  # fmt: skip
    assert rows[1]["ts"] == dt.datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert rows[1]["ntz"] == dt.datetime(2026, 11, 1, 8)  # an offset becomes UTC wall time
    assert rows[1]["b"] is False and rows[1]["s"] is None


def test_reader_schema_is_the_specs(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id\n1\n")
    source = src(p)
    [file] = discover(source, storage_options={})
    reader = open_stream(source, file, ALL_TYPES, storage_options={}).reader()
    assert reader.schema.names == [c.name for c in ALL_TYPES.columns]
    assert reader.schema.field("id").nullable is False
    assert reader.schema.field("attrs").type == pa.map_(pa.string(), pa.int32())
    assert reader.read_all().num_rows == 1  # missing nullable columns are null


def test_csv_options(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("# exported\nid;day;note\n1;02/01/2026;'a;b'\n2;NA;x\n")
    spec = table(("id", "long"), ("day", "date"), ("note", "string"))
    rows = read(p, spec, options={"delimiter": ";", "quote": "'", "null_values": ["NA"], "skip_rows": 1,
                                  "date_format": "%d/%m/%Y"})  # fmt: skip
    assert rows == [{"id": 1, "day": dt.date(2026, 1, 2), "note": "a;b"}, {"id": 2, "day": None, "note": "x"}]


def test_csv_without_header_is_positional(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("1,a\n2,b\n")
    assert read(p, table(("id", "long"), ("v", "string")), options={"header": False}) == [
        {"id": 1, "v": "a"}, {"id": 2, "v": "b"}]  # fmt: skip
    e = fails(p, table(("id", "long")), options={"header": False})
    assert "2 columns" in e.message


def test_csv_latin1_and_gzip(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes("name\nJosé\n".encode("latin-1"))
    assert read(p, table(("name", "string")), options={"encoding": "latin-1"}) == [{"name": "José"}]
    g = tmp_path / "b.csv.gz"
    with gzip.open(g, "wt") as out:
        out.write("id\n1\n2\n")
    assert read(g, table(("id", "long"))) == [{"id": 1}, {"id": 2}]


def test_tsv_defaults_to_tab(tmp_path: Path) -> None:
    p = tmp_path / "a.tsv"
    p.write_text("id\tv\n1\tx,y\n")
    assert read(p, table(("id", "long"), ("v", "string"))) == [{"id": 1, "v": "x,y"}]


def test_ndjson_and_json_array(tmp_path: Path) -> None:
    spec = table(("id", "long", False), ("at", "timestamp"), ("attributes", "map<string,string>"), ("ok", "boolean"),
                 ("tags", "array<string>"))  # fmt: skip
    records = [
        {"id": 1, "at": "2026-11-01T10:00:00Z", "attributes": {"a": "x"}, "ok": True, "tags": ["p"]},
        {"id": "2", "attributes": {"b": "y", "c": "z"}, "ok": None},
    ]
    expected = [
        {
            "id": 1,
            "at": dt.datetime(2026, 11, 1, 10, tzinfo=UTC),
            "attributes": [("a", "x")],
            "ok": True,
            "tags": ["p"],
        },
        {"id": 2, "at": None, "attributes": [("b", "y"), ("c", "z")], "ok": None, "tags": None},
    ]
    nd = tmp_path / "a.ndjson"
    nd.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert read(nd, spec, "ndjson") == expected
    js = tmp_path / "a.json"
    js.write_text(json.dumps(records))
    assert read(js, spec, "json") == expected


def test_parquet_casts_by_name_case_insensitively(tmp_path: Path) -> None:
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"ID": pa.array([1, 2], pa.int64()), "Amount": [1.25, 2.5], "when": pa.array(
        [dt.datetime(2026, 1, 1, 12), None], pa.timestamp("ms"))}), p)  # fmt: skip
    spec = table(("id", "integer"), ("amount", "decimal(10,2)"), ("when", "timestamp"), ("extra", "string"))
    assert read(p, spec, "parquet") == [
        {"id": 1, "amount": decimal.Decimal("1.25"), "when": dt.datetime(2026, 1, 1, 12, tzinfo=UTC), "extra": None},
        {"id": 2, "amount": decimal.Decimal("2.50"), "when": None, "extra": None},
    ]


# --- errors -----------------------------------------------------------------------------------


def test_wrong_type_names_file_column_row_line_value(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,amount\n1,1.00\n2,abc\n3,2.50\n")
    e = fails(p, table(("id", "long"), ("amount", "decimal(18,2)")))
    assert e.column == "amount" and e.rows == (2,)
    assert "row 2 (line 3): 'abc'" in e.message


def test_first_five_shown_then_a_count(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id\n" + "".join(f"x{i}\n" for i in range(12)))
    e = fails(p, table(("id", "long")))
    assert e.rows == (1, 2, 3, 4, 5)
    assert "12 value(s)" in e.message and "and 7 more" in e.message


def test_errors_past_the_first_batch_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tablespec.sources import read as sourceread

    monkeypatch.setattr(sourceread, "BATCH_ROWS", 100)
    p = tmp_path / "a.csv"
    p.write_text("id\n" + "".join(f"{i}\n" for i in range(1000)) + "oops\n")
    e = fails(p, table(("id", "long")))
    assert e.rows == (1001,) and "line 1002" in e.message


def test_lossy_values_do_not_fit(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("amount,small\n12.345,1\n1.5,300\n")
    e = fails(p, table(("amount", "decimal(18,2)"), ("small", "byte")))
    assert "'12.345'" in e.message and "'300'" in e.message
    q = tmp_path / "b.parquet"
    pq.write_table(pa.table({"n": [1.0, 1.5]}), q)
    assert fails(q, table(("n", "long")), "parquet").rows == (2,)


def test_null_in_not_null_column(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,v\n1,a\n,b\n")
    e = fails(p, table(("id", "long", False), ("v", "string")))
    assert e.column == "id" and e.rows == (2,) and "null" in e.message


def test_extra_column_is_an_error_unless_ignored(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,surprise,other\n1,x,y\n")
    e = fails(p, table(("id", "long")))
    assert e.column == "surprise" and "'surprise', 'other'" in e.message and "extra_columns: ignore" in (e.hint or "")
    assert read(p, table(("id", "long")), extra_columns="ignore") == [{"id": 1}]


def test_missing_not_null_column(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("v\na\n")
    e = fails(p, table(("id", "long", False), ("v", "string")))
    assert e.column == "id" and "NOT NULL" in e.message


def test_columns_differing_only_in_case(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,ID\n1,2\n")
    assert "differ only in case" in fails(p, table(("id", "long"))).message


@pytest.mark.parametrize("content", ["", "id,v\n"], ids=["empty", "header-only"])
def test_empty_files(tmp_path: Path, content: str) -> None:
    p = tmp_path / "a.csv"
    p.write_text(content)
    spec = table(("id", "long"), ("v", "string"))
    assert "no data rows" in fails(p, spec).message
    assert read(p, spec, options={"allow_empty": True}) == []


def test_corrupt_files(tmp_path: Path) -> None:
    p = tmp_path / "a.parquet"
    p.write_bytes(b"PAR1 this is not parquet")
    assert "cannot read" in fails(p, table(("id", "long")), "parquet").message
    j = tmp_path / "a.ndjson"
    j.write_text('{"id": 1}\n{"id": \n')
    assert "cannot read" in fails(j, table(("id", "long")), "ndjson").message
    k = tmp_path / "b.json"
    k.write_text('{"id": 1}')
    assert "array of objects" in fails(k, table(("id", "long")), "json").message
    u = tmp_path / "u.csv"
    u.write_bytes(b"name\n\xff\xfe\n")
    assert fails(u, table(("name", "string"))).file == str(u)


def test_unknown_option_is_a_spec_problem(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id\n1\n")
    with pytest.raises(SpecInvalid, match="delimeter"):
        read(p, table(("id", "long")), options={"delimeter": ";"})


def test_file_changing_during_the_read_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id\n1\n")
    source = src(p)
    [file] = discover(source, storage_options={})
    stream = open_stream(source, file, table(("id", "long")), storage_options={})
    batches = stream.batches()
    next(batches)
    p.write_text("id\n1\n2\n")
    os.utime(p, ns=(1, 1))
    with pytest.raises(DataError, match="changed while"):
        list(batches)


def test_keep_row_and_drop_rows(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("id,v\n1,a\n2,b\n1,c\n")
    source = src(p)
    [file] = discover(source, storage_options={})
    keys = open_stream(source, file, table(("id", "long"), ("v", "string")), storage_options={}, columns=["ID"],
                       keep_row=True).reader().read_all().to_pylist()  # fmt: skip
    assert keys == [{"id": 1, "__tablespec_row__": 1}, {"id": 2, "__tablespec_row__": 2},
                    {"id": 1, "__tablespec_row__": 3}]  # fmt: skip
    rows = open_stream(source, file, table(("id", "long"), ("v", "string")), storage_options={},
                       drop_rows=[1]).reader().read_all().to_pylist()  # fmt: skip
    assert rows == [{"id": 2, "v": "b"}, {"id": 1, "v": "c"}]


# --- S3 ---------------------------------------------------------------------------------------


@pytest.mark.s3
def test_discover_and_read_s3(s3_server: Any, s3_bucket: str, s3_storage_options: dict[str, str]) -> None:
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="in/2026/a.csv", Body=b"id\n1\n")
    client.put_object(Bucket=s3_bucket, Key="in/b.csv", Body=b"id\n2\n")
    client.put_object(Bucket=s3_bucket, Key="in/b.txt", Body=b"nope")
    source = src(f"s3://{s3_bucket}/in/**/*.csv")
    files = discover(source, storage_options=s3_storage_options)
    assert [f.path for f in files] == [f"s3://{s3_bucket}/in/2026/a.csv", f"s3://{s3_bucket}/in/b.csv"]
    md5 = hashlib.md5(b"id\n1\n").hexdigest()
    assert files[0].digest == f"etag:{md5}:5"
    assert open_stream(source, files[1], table(("id", "long")), storage_options=s3_storage_options).reader().read_all().to_pylist() == [
        {"id": 2}]  # fmt: skip
    single = discover(src(f"s3://{s3_bucket}/in/b.csv"), storage_options=s3_storage_options)
    assert single == (files[1],)
    assert discover(src(f"s3://{s3_bucket}/none/*.csv"), storage_options=s3_storage_options) == ()
    with pytest.raises(DataError, match="does not exist"):
        discover(src(f"s3://{s3_bucket}/in/missing.csv"), storage_options=s3_storage_options)
    client.put_object(Bucket=s3_bucket, Key="in/b.csv", Body=b"id\n3\n")
    assert describe(files[1].path, storage_options=s3_storage_options).digest != files[1].digest
