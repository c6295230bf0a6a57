"""Where a source file is malformed: the file line behind a reader's error, found after the fact.

polars' readers are fast and stream, but their errors name no line ("found more fields than
defined in 'Schema'", "invalid utf-8 sequence", "could not parse ..."). When one fails, this module
reads the file again, once, with Python's own ``csv`` / ``json`` (slow, but only on the failure
path and at most :data:`SCAN_LIMIT` bytes) to say *which line* is bad and what to do about it
(issue 13, item 12). It also recognises a CSV header that is one name holding another common
delimiter (item 13).
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tablespec.errors import DataError
from tablespec.model.spec import SourceSpec
from tablespec.model.state import SourceFile
from tablespec.sources.discover import decompressed, first_line, open_binary

SCAN_LIMIT = 256 << 20  # bytes read looking for the bad line before giving up on a location
_DELIMITERS = {",": "','", ";": "';'", "\t": "'\\t' (tab)", "|": "'|'"}


@dataclass(frozen=True)
class BadLine:
    line: int  # 1-based file line
    what: str
    hint: str = ""


def read_error(source: SourceSpec, file: SourceFile, storage_options: Mapping[str, str], error: BaseException) -> DataError:
    """A reader's failure on ``file``, located at its bad line when that can be found."""
    reason = first_line(error)
    try:
        raw = open_binary(file.path, storage_options)
    except OSError:
        return DataError(f"{file.path}: cannot read the file as {source.format}: {reason}", file=file.path)
    return explain(file.path, source.format, source.options_dict, raw, reason)


def delimiter_of(source: SourceSpec, path: str) -> str:
    """The CSV delimiter a source reads with (a .tsv file defaults to a tab)."""
    opts = source.options_dict
    return str(opts.get("delimiter", opts.get("separator", "\t" if path.lower().endswith((".tsv", ".tsv.gz")) else ",")))


def explain(path: str, fmt: str, options: Mapping[str, Any], raw: Any, reader_error: str) -> DataError:
    """The DataError for a file the reader could not read: with ``file:line`` when the bad line is
    found, else the reader's own words. ``raw`` is a binary file object (closed here)."""
    found: BadLine | None = None
    try:
        with raw:
            lines = _physical_lines(decompressed(raw, path))
            if fmt == "csv":
                found = _csv_problem(lines, options)
            elif fmt == "ndjson":
                found = _ndjson_problem(lines, options)
    except (OSError, EOFError, zlib.error) as e:
        if path.endswith((".gz", ".bz2")):  # issue 24.6: a damaged archive, named with its file
            return DataError(f"{path}: cannot read the file: not a valid {'gzip' if path.endswith('.gz') else 'bzip2'} file ({e})",
                             file=path, hint="the file is damaged or not compressed; export it again, or drop the "
                                             "compression extension if it is plain text")  # fmt: skip
        found = None
    except ValueError:
        found = None
    if found is None:
        return DataError(f"{path}: cannot read the file as {fmt}: {reader_error}", file=path)
    return DataError(f"{path}:{found.line}: cannot read the file as {fmt}: {found.what}", file=path, hint=found.hint)


def delimiter_hint(names: Sequence[str], spec_columns: Sequence[str], delimiter: str) -> str:
    """A hint when the header is one column whose name holds another delimiter that splits it into
    the spec's columns (``'id;name;amount'``): a ``;``-separated export read with ``,``."""
    if len(names) != 1:
        return ""
    wanted = {c.lower() for c in spec_columns}
    for candidate, shown in _DELIMITERS.items():
        if candidate == delimiter or candidate not in names[0]:
            continue
        parts = [p.strip().lower() for p in names[0].split(candidate)]
        if len(parts) > 1 and sum(p in wanted for p in parts) * 2 >= len(parts):
            return f"the header looks {shown}-separated: set options: {{delimiter: {shown.split()[0]}}} on the source"
    return ""


# --- reading lines ------------------------------------------------------------------------------


def _physical_lines(stream: Any) -> Iterator[bytes]:
    """The file's lines as bytes, up to :data:`SCAN_LIMIT` bytes in all."""
    buffered = io.BufferedReader(stream) if not hasattr(stream, "peek") else stream
    seen = 0
    while seen < SCAN_LIMIT:
        line = buffered.readline()
        if not line:
            return
        seen += len(line)
        yield line


def _decoded(lines: Iterator[bytes], encoding: str, numbered: list[int]) -> Iterator[str]:
    """Lines as text; a line that does not decode raises :class:`_Undecodable` with its number."""
    for number, line in enumerate(lines, 1):
        numbered[0] = number
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as e:
            raise _Undecodable(number, e) from e


class _Undecodable(Exception):
    def __init__(self, line: int, error: UnicodeDecodeError) -> None:
        super().__init__(line)
        self.line, self.error = line, error


def _encoding_problem(e: _Undecodable, encoding: str) -> BadLine:
    byte = e.error.object[e.error.start : e.error.start + 1].hex()
    if e.line == 1 and bytes(e.error.object[:2]) in (b"\xff\xfe", b"\xfe\xff"):  # issue 24.6
        return BadLine(1, f"not valid {encoding}: the file starts with a UTF-16 byte-order mark",
                       "set options: {encoding: utf-16} on the source")
    return BadLine(e.line, f"not valid {encoding}: byte 0x{byte} at column {e.error.start + 1}",
                   "set the source's encoding option to the file's encoding, e.g. options: {encoding: latin-1}")


def _encoding(options: Mapping[str, Any]) -> str:
    value = str(options.get("encoding", "utf-8")).lower()
    return "utf-8" if value.replace("-", "") in ("utf8", "utf8lossy") else value


# --- formats ------------------------------------------------------------------------------------


def _csv_problem(lines: Iterator[bytes], options: Mapping[str, Any]) -> BadLine | None:
    encoding = _encoding(options)
    delimiter = str(options.get("delimiter", options.get("separator", ",")))
    quote = options.get("quote", '"')
    skip = int(options.get("skip_rows", 0) or 0)
    comment = str(options["comment"]) if options.get("comment") else None
    numbered = [0]
    last: list[str] = [""]
    text = _remembered(_decoded(lines, encoding, numbered), last)
    try:
        for _ in range(skip):
            next(text, None)
        reader = csv.reader(text, delimiter=delimiter, quotechar=str(quote) if quote else None,
                            quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE, strict=True)
        width = None
        start = numbered[0] + 1
        for row in reader:
            if comment and row and row[0].startswith(comment):
                start = numbered[0] + 1
                continue
            if width is None:  # the header, or the first row of a file without one
                width = len(row)
            elif row and len(row) > width:
                return BadLine(start, f"row has {len(row)} fields, the header has {width}",
                               "a value holding the delimiter must be quoted; or the line has a stray delimiter")
            if quote and start == numbered[0] and _stray_quote(last[0], delimiter, str(quote)):
                return BadLine(start, f"a quote character ({quote}) inside an unquoted value",
                               f"quote the whole value and double the quote inside ({quote}a{quote}{quote}b{quote}), "
                               "or set options: {quote: \"\"} if the file uses no quoting")  # issue 24.6
            start = numbered[0] + 1
    except _Undecodable as e:
        return _encoding_problem(e, encoding)
    except csv.Error as e:
        if "end of data" in str(e) or "EOF" in str(e):
            return BadLine(start, f"a quoted value opened here ({quote}) is never closed",
                           "close the quote, or double a quote inside a quoted value (\"\")")
        return BadLine(numbered[0], f"malformed CSV: {e}")
    return None


def _remembered(lines: Iterator[str], last: list[str]) -> Iterator[str]:
    for line in lines:
        last[0] = line
        yield line


def _stray_quote(line: str, delimiter: str, quote: str) -> bool:
    """A value of this (one-line) row that holds the quote character without starting with it."""
    return any(quote in part and not part.strip().startswith(quote) for part in line.rstrip("\r\n").split(delimiter))


def _ndjson_problem(lines: Iterator[bytes], options: Mapping[str, Any]) -> BadLine | None:
    encoding = _encoding(options)
    numbered = [0]
    try:
        for text in _decoded(lines, encoding, numbered):
            if not text.strip():
                continue
            try:
                json.loads(text)
            except json.JSONDecodeError as e:
                return BadLine(numbered[0], f"not valid JSON: {e.msg} (column {e.colno})",
                               "ndjson holds one complete JSON object per line")
    except _Undecodable as e:
        return _encoding_problem(e, encoding)
    return None
