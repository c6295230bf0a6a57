"""Filesystems over a table's folder or a source's bucket: the one place they are built.

``table_filesystem`` goes through deltalake's own object store (``DeltaStorageHandler``), so the
log reader, vacuum's size checks and "is there a table here" use exactly the storage options
deltalake itself gets. ``s3_filesystem`` is pyarrow's S3 client from the same deltalake-style
options, for source files and for reading the log from inside a deltalake write (where calling
back into deltalake would block its own runtime).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def table_filesystem(uri: str, storage_options: Mapping[str, str] | None) -> Any:
    """A pyarrow filesystem rooted at the table, backed by deltalake's object store."""
    import pyarrow.fs as pafs
    from deltalake.fs import DeltaStorageHandler

    return pafs.PyFileSystem(DeltaStorageHandler(uri, dict(storage_options) if storage_options else None))


def s3_filesystem(storage_options: Mapping[str, str]) -> Any:
    """A pyarrow S3 filesystem from deltalake-style storage options (AWS_* keys, any case)."""
    import pyarrow.fs as pafs

    from tablespec.config import with_client_defaults

    opts = {k.upper(): str(v) for k, v in with_client_defaults(storage_options).items()}
    endpoint = opts.get("AWS_ENDPOINT_URL", "")
    retries = opts["MAX_RETRIES"]
    return pafs.S3FileSystem(
        connect_timeout=_seconds(opts["CONNECT_TIMEOUT"], 5.0),
        request_timeout=_seconds(opts["TIMEOUT"], 10.0),
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=int(retries) + 1 if retries.isdigit() else 4),
        access_key=opts.get("AWS_ACCESS_KEY_ID") or None,
        secret_key=opts.get("AWS_SECRET_ACCESS_KEY") or None,
        session_token=opts.get("AWS_SESSION_TOKEN") or None,
        region=opts.get("AWS_REGION") or opts.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_override=endpoint or None,
        scheme="http" if endpoint.startswith("http://") else "https",
        force_virtual_addressing=opts.get("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "").lower() == "true",
    )


def _seconds(text: str, default: float) -> float:
    """An object_store duration (``10s``, ``500ms``, ``2m``) in seconds; ``default`` if unreadable."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    if not m:
        return default
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2) or "s"]
    return max(float(m.group(1)) * scale, 0.001)


def s3_key(uri: str) -> str:
    """``bucket/key`` of an ``s3://bucket/key`` URI, as pyarrow's S3 filesystem names objects."""
    return uri.split("://", 1)[1]
