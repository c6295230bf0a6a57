"""Refuse CSV rows with fewer fields than the header (issue 13.1).

polars fills the missing trailing fields of a short row with nulls, so a truncated last line
(``3,c,3.00`` where the header has four fields) would load silently with a null partition value.
pyarrow's CSV parser sees the row's real field count, so one parse of the file with pyarrow
(only the first column converted, multi-threaded) finds every ragged row; a second, single-threaded
parse runs only when there is something to report, because only that one knows row numbers.
Rows with too many fields are refused by polars itself (``truncate_ragged_lines`` off).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from tablespec.errors import DataError
from tablespec.sources.discover import open_decompressed

SHOWN = 5
_BLOCK = 8 << 20


@dataclass(frozen=True)
class ShortRow:
    record: int  # 1-based record number after skip_rows, the header included; 0: not known
    fields: int
    expected: int
    text: str


def check_row_lengths(path: str, shown: str, *, opts: Mapping[str, Any], separator: str,
                      storage_options: Mapping[str, str]) -> None:  # fmt: skip
    """Raise :class:`DataError` naming the first short rows of the CSV file at ``path`` (``shown``
    is the name the user knows it by; ``path`` may be a transcoded copy)."""
    if opts.get("allow_short_rows", False):
        return
    try:
        found = _short_rows(path, opts, separator, storage_options, numbered=False)
    except (OSError, EOFError, zlib.error) as e:  # a corrupt .gz (issue 24.6): name the file
        raise DataError(f"{shown}: cannot read the file: not a valid gzip file ({e})", file=shown,
                        hint="the file is damaged or not gzip-compressed; export it again, or drop the .gz "
                             "extension if it is plain text") from e  # fmt: skip
    if not found:
        return
    rows = _short_rows(path, opts, separator, storage_options, numbered=True) or found
    header = bool(opts.get("header", True))
    skip = int(opts.get("skip_rows", 0) or 0)

    def where(r: ShortRow) -> str:
        if not r.record:
            return f"a row ({r.text!r})"
        line = r.record + skip
        return f"line {line} (row {r.record - (1 if header else 0)})"

    first = rows[0]
    more = f"; {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    listed = "; ".join(f"{where(r)}: {r.fields} field(s) {r.text!r}" for r in rows[:SHOWN])
    prefix = f"{shown}:{first.record + skip}" if first.record else shown
    raise DataError(
        f"{prefix}: row has {first.fields} field(s), the header has {first.expected}; "
        f"{len(rows)} short row(s): {listed}{more}",
        file=shown,
        hint="a truncated or hand-edited export? fix the file (nothing was written), "
             "or set options: {allow_short_rows: true} to load missing trailing fields as null",
    )  # fmt: skip


def _options(opts: Mapping[str, Any], separator: str, *, threads: bool,
             handler: Any) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions]:  # fmt: skip
    quote = opts.get("quote", '"')
    read = pacsv.ReadOptions(use_threads=threads, block_size=_BLOCK, skip_rows=int(opts.get("skip_rows", 0) or 0),
                             autogenerate_column_names=not opts.get("header", True))  # fmt: skip
    parse = pacsv.ParseOptions(delimiter=separator, quote_char=str(quote) if quote else False,
                               newlines_in_values=True, invalid_row_handler=handler)  # fmt: skip
    return read, parse


def _short_rows(path: str, opts: Mapping[str, Any], separator: str, storage_options: Mapping[str, str], *,
                numbered: bool) -> list[ShortRow]:  # fmt: skip
    comment = str(opts.get("comment") or "")
    quote = str(opts.get("quote", '"') or "")
    found: list[ShortRow] = []

    def handler(row: Any) -> str:
        if comment and str(row.text).startswith(comment):
            return "skip"  # a comment line: polars skips it too
        if quote and str(row.text).count(quote) % 2:
            return "skip"  # an unterminated quote swallowed the rest: polars' read names that
        if row.actual_columns < row.expected_columns and str(row.text).strip():
            found.append(ShortRow(int(row.number or 0), int(row.actual_columns), int(row.expected_columns),
                                  str(row.text)[:200]))
        return "skip"  # too many fields: polars' own error names it

    read, parse = _options(opts, separator, threads=not numbered, handler=handler)
    with open_decompressed(path, storage_options) as f:
        try:
            names = pacsv.open_csv(f, read_options=read, parse_options=parse).schema.names
            if not names:
                return []
            convert = pacsv.ConvertOptions(include_columns=names[:1], column_types={names[0]: pa.string()})
        except pa.ArrowInvalid:
            return []  # empty or unreadable: the polars read reports it, in its own words
    found.clear()  # the header read above saw the first block already
    with open_decompressed(path, storage_options) as f:
        try:
            for _ in pacsv.open_csv(f, read_options=read, parse_options=parse, convert_options=convert):
                pass
        except pa.ArrowInvalid:
            return found  # another problem (quotes, encoding): the polars read names it
    return found
