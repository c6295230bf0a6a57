"""Scan one source file lazily with polars: CSV, JSON, NDJSON or Parquet, local or on S3.

Every column is read as text (CSV/JSON) or as stored (Parquet) with a row number column
(:data:`ROW`, counting data rows from 1); what the values mean is decided afterwards by
:mod:`tablespec.sources.read`. Encodings other than UTF-8 and gzip/bz2 files are transcoded to a
temporary UTF-8 file first, which the returned cleanup removes.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from tablespec.errors import DataError
from tablespec.model.spec import SourceSpec, TableSpec
from tablespec.model.state import SourceFile
from tablespec.sources.csvshape import check_row_lengths
from tablespec.sources.discover import decompressed, open_binary, open_decompressed, read_bytes
from tablespec.sources.readerrors import read_error

ROW = "__tablespec_row__"
_CHUNK = 4 << 20
_S3_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
            "AWS_ALLOW_HTTP", "AWS_VIRTUAL_HOSTED_STYLE_REQUEST")  # fmt: skip


def scan(
    source: SourceSpec, file: SourceFile, spec: TableSpec, storage_options: Mapping[str, str]
) -> tuple[pl.LazyFrame, Callable[[], None]]:
    """The file as a raw lazy frame (text columns for csv/json) and a cleanup for temp files."""
    opts = source.options_dict
    polars_opts = {k: v for k, v in ((k.upper(), str(v)) for k, v in storage_options.items()) if k in _S3_KEYS}
    path, temp = file.path, None
    encoding = str(opts.get("encoding", "utf8")).lower().replace("-", "")
    try:
        if source.format in ("csv", "ndjson") and (encoding not in ("utf8", "utf8lossy") or path.endswith(".bz2")):
            temp = _transcode(path, str(opts.get("encoding", "utf8")), storage_options)
            path, polars_opts = temp, {}
        if source.format == "parquet":
            frame = pl.scan_parquet(path, storage_options=polars_opts or None)
        elif source.format == "csv":
            frame = _scan_csv(path, file.path, opts, polars_opts, encoding)
        else:
            frame = _scan_json(source, path, file.path, opts, polars_opts, storage_options)
        frame.collect_schema()  # reads the header / footer now: an unreadable file fails here
        if source.format == "csv":
            check_row_lengths(path, file.path, opts=opts, separator=_separator(opts, file.path),
                              storage_options={} if temp else storage_options)  # fmt: skip
    except DataError:
        _remove(temp)
        raise
    except Exception as e:
        _remove(temp)
        raise read_error(source, file, storage_options, e) from e
    return frame.with_row_index(ROW, offset=1), lambda: _remove(temp)


def _scan_csv(path: str, shown: str, opts: Mapping[str, Any], storage: dict[str, str], encoding: str) -> pl.LazyFrame:
    separator = _separator(opts, shown)
    quote = opts.get("quote", '"')
    nulls = opts.get("null_values")
    return pl.scan_csv(
        path,
        has_header=bool(opts.get("header", True)),
        separator=str(separator),
        quote_char=str(quote) if quote else None,
        null_values=[str(v) for v in nulls] if isinstance(nulls, list) else (str(nulls) if nulls is not None else None),
        comment_prefix=str(opts["comment"]) if opts.get("comment") else None,
        skip_rows=int(opts.get("skip_rows", 0) or 0),
        encoding="utf8-lossy" if encoding == "utf8lossy" else "utf8",
        infer_schema=False,  # every column is text; tablespec.sources.casting decides what values mean
        raise_if_empty=False,
        storage_options=storage or None,
    )


def _separator(opts: Mapping[str, Any], shown: str) -> str:
    tab = shown.lower().endswith((".tsv", ".tsv.gz"))
    return str(opts.get("delimiter", opts.get("separator", "\t" if tab else ",")))


def _scan_json(
    source: SourceSpec,
    path: str,
    shown: str,
    opts: Mapping[str, Any],
    storage: dict[str, str],
    storage_options: Mapping[str, str],
) -> pl.LazyFrame:
    """NDJSON streams; a JSON array is parsed whole (json cannot be split) and re-read as NDJSON."""
    if source.format == "json":
        data = json.loads(read_bytes(path, storage_options).decode(str(opts.get("encoding", "utf-8"))))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise DataError(f"{shown}: a json source must hold an array of objects; use ndjson for one object per line",
                            file=shown)  # fmt: skip
        body = "\n".join(json.dumps(r) for r in data).encode()
        names = list(dict.fromkeys(k for r in data for k in r))
        return pl.scan_ndjson(body, schema={n: pl.String for n in names}) if names else pl.LazyFrame()
    names = _ndjson_names(path, shown, storage, storage_options)
    # every field as text: JSON numbers, booleans and objects arrive as their JSON spelling
    return pl.scan_ndjson(path, schema={n: pl.String for n in names}, storage_options=storage or None)


def _ndjson_names(path: str, shown: str, storage: dict[str, str], storage_options: Mapping[str, str]) -> list[str]:
    """The field names of the *whole* file, in order of first appearance (issue 24.1: a field
    first seen after the inference window was dropped). polars' full inference finds them; when it
    cannot (one field holding values of types it cannot unify), a plain pass over the lines does."""
    try:
        return list(pl.scan_ndjson(path, infer_schema_length=None, storage_options=storage or None).collect_schema())
    except Exception:  # noqa: BLE001 - fall back to the line pass, which names the bad line itself
        pass
    names: dict[str, None] = {}
    with open_decompressed(path, storage_options if storage else {}) as src:
        for line_no, line in enumerate(src, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
                why = e.msg if isinstance(e, json.JSONDecodeError) else str(e)
                raise DataError(f"{shown}:{line_no}: cannot read the file: not valid JSON ({why})", file=shown,
                                hint="ndjson holds one complete JSON object per line") from e  # fmt: skip
            if not isinstance(record, dict):
                raise DataError(f"{shown}:{line_no}: a line holds a JSON {type(record).__name__}, not an object",
                                file=shown, hint="ndjson holds one JSON object per line")  # fmt: skip
            names.update(dict.fromkeys(record))
    return list(names)


def _transcode(path: str, encoding: str, storage_options: Mapping[str, str]) -> str:
    """Re-encode (and decompress .bz2) to a temporary UTF-8 file, chunk by chunk: polars reads UTF-8 only."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError as e:
        raise DataError(f"{path}: unknown encoding {encoding!r}", file=path) from e
    fd, temp = tempfile.mkstemp(suffix=".tablespec")
    try:
        raw: Any = open_binary(path, storage_options)
        with raw, os.fdopen(fd, "wb") as out:
            src = decompressed(raw, path)
            while chunk := src.read(_CHUNK):
                out.write(decoder.decode(chunk).encode())
            out.write(decoder.decode(b"", final=True).encode())
    except UnicodeDecodeError as e:
        _remove(temp)
        raise DataError(f"{path}: not valid {encoding}: {e.reason}", file=path) from e
    except BaseException:
        _remove(temp)
        raise
    return temp


def _remove(path: str | None) -> None:
    if path:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
