"""Source files: find them and fingerprint them; ``tablespec.sources.read`` reads them.

Discovery (:func:`discover`) turns a source's path — a file, a glob (``**`` recurses), a folder,
or the same on ``s3://`` — into sorted :class:`~tablespec.model.state.SourceFile` records whose
``digest`` identifies the *content*: ``sha256`` of the bytes for local files (streamed in 4 MiB
chunks), ``etag:<ETag>:<size>`` for objects (one HEAD each, no download). The digest is what the
exactly-once bookkeeping (``tablespec.planning.exactly_once``) records in the Delta log.

Reading (:func:`tablespec.sources.read.open_stream`) gives the file's rows as
arrow batches in the spec's columns and types, validated as they stream.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from tablespec.config import is_s3
from tablespec.delta.store import s3_filesystem, s3_key
from tablespec.errors import DataError, StorageError
from tablespec.model.spec import SourceSpec
from tablespec.model.state import SourceFile
from tablespec.specfiles.checks import infer_format

_CHUNK = 4 << 20
_DIGESTS: dict[tuple[str, int, int, int], str] = {}  # (path, size, mtime_ns, inode) -> sha256
_GLOB_CHARS = "*?["


# --- discovery --------------------------------------------------------------------------------


def discover(source: SourceSpec, *, storage_options: Mapping[str, str]) -> tuple[SourceFile, ...]:
    """Every file of the source's format that its path names, sorted by path, each with its
    content digest (:func:`discover_all` also says which files were skipped).

    A glob or folder matching nothing gives ``()`` (nothing to load yet); a plain file that does
    not exist is a :class:`DataError`, since that is almost always a typo in the spec.
    """
    return discover_all(source, storage_options=storage_options)[0]


def discover_all(source: SourceSpec, *,
                 storage_options: Mapping[str, str]) -> tuple[tuple[SourceFile, ...], tuple[str, ...]]:  # fmt: skip
    """(files, skipped paths). A folder, or a glob that does not name an extension itself
    (``data/*``, ``landing/**``), yields only files whose extension is the source's format's
    (compressed variants included): a ``README.txt`` or a manifest in a landing folder is skipped,
    and said so in the plan, never loaded (issue 13.3). A glob like ``*.txt`` takes what it names."""
    pattern = source.resolved
    if is_s3(pattern):
        try:
            return _discover_all_s3(source, pattern, storage_options)
        except OSError as e:  # pyarrow's S3 client: raw curl/AWS text, no location (issue 13.8)
            raise StorageError(
                f"source {source.name!r}: cannot list {pattern}: {first_line(e)}", uri=pattern,
                hint="check AWS_ENDPOINT_URL, AWS_REGION and the credentials, and that the bucket exists",
            ) from e
    if any(c in pattern for c in _GLOB_CHARS):
        paths = [os.path.abspath(p) for p in globlib.glob(pattern, recursive=True)
                 if os.path.isfile(p) and not _hidden(os.path.basename(p))]  # fmt: skip
    elif os.path.isdir(pattern):
        paths = [os.path.abspath(os.path.join(d, n)) for d, _, names in os.walk(pattern) for n in names
                 if not _hidden(n)]  # fmt: skip
    elif os.path.isfile(pattern):
        paths = [os.path.abspath(pattern)]
    else:
        raise DataError(f"source {source.name!r}: file {pattern} does not exist", file=pattern,
                        hint="check the source's path; it is relative to the spec file")  # fmt: skip
    paths, skipped = _keep_format(source, pattern, sorted(paths))
    return tuple(describe(p, storage_options=storage_options) for p in paths), skipped


def _discover_all_s3(source: SourceSpec, pattern: str,
                     storage_options: Mapping[str, str]) -> tuple[tuple[SourceFile, ...], tuple[str, ...]]:  # fmt: skip
    paths, skipped = _keep_format(source, pattern, sorted(_discover_s3(source, pattern, storage_options)))
    fs = s3_filesystem(storage_options)
    with ThreadPoolExecutor(max_workers=16) as pool:
        return tuple(pool.map(lambda p: _s3_file(fs, p), paths)), skipped


def _keep_format(source: SourceSpec, pattern: str, paths: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """(files of the source's format, skipped others) when the path is a folder or an extension-less glob."""
    if not _filters_by_extension(pattern, paths):
        return paths, ()
    return ([p for p in paths if infer_format(p) == source.format],
            tuple(p for p in paths if infer_format(p) != source.format))


def first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _filters_by_extension(pattern: str, paths: list[str]) -> bool:
    """A folder (or prefix), or a glob whose last segment names no extension of its own."""
    if any(c in pattern for c in _GLOB_CHARS):
        last = pattern.rstrip("/").rsplit("/", 1)[-1]
        suffix = last.rsplit(".", 1)[-1] if "." in last else None
        return suffix is None or any(c in suffix for c in _GLOB_CHARS)
    return paths != [pattern] and paths != [os.path.abspath(pattern)]  # not the one file it names


def describe(path: str, *, storage_options: Mapping[str, str]) -> SourceFile:
    """A fresh :class:`SourceFile` for one path (size and content digest as they are now).

    Within one process a local file is hashed again only when its size, modification time (ns)
    or inode changed: ``apply`` plans and then loads, and would otherwise read every file twice.
    """
    if is_s3(path):
        fs = s3_filesystem(storage_options)
        return _s3_file(fs, path)
    before = os.stat(path)
    key = (path, before.st_size, before.st_mtime_ns, before.st_ino)
    digest = _DIGESTS.get(key)
    if digest is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        digest = h.hexdigest()
        after = os.stat(path)
        if (after.st_size, after.st_mtime_ns, after.st_ino) == key[1:]:  # not written while hashed
            if len(_DIGESTS) > 100_000:
                _DIGESTS.clear()
            _DIGESTS[key] = digest
    return SourceFile(path=path, size=before.st_size, digest=digest)


def parquet_rows(file: SourceFile, *, storage_options: Mapping[str, str]) -> int | None:
    """Rows of a parquet file from its footer (no data read); None when the footer is unreadable."""
    import pyarrow.parquet as pq

    try:
        if is_s3(file.path):
            with s3_filesystem(storage_options).open_input_file(s3_key(file.path)) as f:
                return int(pq.ParquetFile(f).metadata.num_rows)
        return int(pq.ParquetFile(file.path).metadata.num_rows)
    except Exception:  # noqa: BLE001 - no count shown; reading reports the real problem
        return None


def _discover_s3(source: SourceSpec, pattern: str, storage_options: Mapping[str, str]) -> list[str]:
    import pyarrow.fs as pafs

    fs = s3_filesystem(storage_options)
    key = s3_key(pattern)
    cut = min((key.find(c) for c in _GLOB_CHARS if c in key), default=-1)
    if cut < 0:
        info = fs.get_file_info(key)
        if info.type == pafs.FileType.File:
            return [pattern]
        if info.type == pafs.FileType.NotFound:
            raise DataError(f"source {source.name!r}: object {pattern} does not exist", file=pattern)
        regex = re.compile(re.escape(key.rstrip("/")) + "/.*")  # a prefix: everything under it
        base = key.rstrip("/")
    else:
        regex = _glob_regex(key)
        base = key[:cut].rsplit("/", 1)[0]
    infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    keys = sorted(i.path for i in infos if i.type == pafs.FileType.File and regex.fullmatch(i.path)
                  and not _hidden(i.base_name))  # fmt: skip
    scheme = pattern.split("://", 1)[0]
    return [f"{scheme}://{k}" for k in keys]


def _s3_file(fs: Any, uri: str) -> SourceFile:
    """ETag plus size: the object store's content identity, without downloading the object.

    A single-part upload's ETag is the MD5 of its bytes; a multipart upload's depends on the
    part size, so re-uploading identical bytes differently shows as changed (docs/loads.md).
    """
    with fs.open_input_file(s3_key(uri)) as f:  # a HEAD request; no data is read
        meta = f.metadata()
        size = f.size()
    etag = meta.get("ETag", meta.get("etag", b"")).decode().strip('"')
    return SourceFile(path=uri, size=int(size), digest=f"etag:{etag}:{size}")


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Glob -> regex with shell meaning: ``*`` and ``?`` stay inside one path segment, ``**`` crosses."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + re.escape(body[1:]) if body.startswith("!") else re.escape(body)) + "]")
            i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out))


def read_bytes(path: str, storage_options: Mapping[str, str]) -> bytes:
    """The whole file, decompressed when its name ends in .gz or .bz2 (local and S3 alike)."""
    with open_decompressed(path, storage_options) as f:
        return bytes(f.read())


@contextmanager
def open_decompressed(path: str, storage_options: Mapping[str, str]) -> Iterator[Any]:
    """The file's bytes as a stream, decompressed by its extension; both streams closed after."""
    with open_binary(path, storage_options) as raw:
        stream = decompressed(raw, path)
        try:
            yield stream
        finally:
            if stream is not raw:
                stream.close()


def decompressed(raw: Any, path: str) -> Any:
    """``raw`` (a binary stream) decompressed when ``path`` ends in .gz or .bz2; else ``raw``."""
    if path.endswith(".gz"):
        import gzip

        return gzip.GzipFile(fileobj=raw)
    if path.endswith(".bz2"):
        import bz2

        return bz2.BZ2File(raw)
    return raw


def open_binary(path: str, storage_options: Mapping[str, str]) -> Any:
    """A binary file object for a local path or an S3 URI."""
    if is_s3(path):
        # the raw bytes: pyarrow would otherwise decompress by extension, and callers do that
        return s3_filesystem(storage_options).open_input_stream(s3_key(path), compression=None)
    return open(path, "rb")


__all__ = ["decompressed", "describe", "discover", "discover_all", "first_line", "open_binary", "open_decompressed",
           "parquet_rows", "read_bytes"]
