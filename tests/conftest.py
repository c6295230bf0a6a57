"""Fixtures shared by every test folder: a real S3 server on 127.0.0.1 and table locations.

S3 fixtures (all need the moto server, started once per session on first use):

- ``s3_server``: the :class:`s3server.S3Server` (``endpoint``, ``client()``, ``keys(bucket, prefix)``).
- ``s3_env``: exports AWS_* for the server into the environment (monkeypatched), so
  ``load_config()`` and everything built on it reach the server; returns the variables.
- ``s3_storage_options``: the deltalake storage options for the server (no environment change).
- ``s3_bucket``: a fresh, empty bucket per test; implies ``s3_env``.
- ``s3_uri``: ``s3://<fresh bucket>/table``; implies ``s3_env``.
- ``table_uri``: parametrized over ``local`` (a folder in ``tmp_path``) and ``s3`` (marked ``s3``);
  with ``s3_env`` in force for the S3 case, so ``DeltaTable(table_uri)`` just works.

Run without S3: ``pytest -m "not s3"``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from s3server import S3Server

_MARKERS = (
    "s3: talks to the moto S3 server on 127.0.0.1",
    "slow: long-running (crash, concurrency, benchmark smoke)",
)


def pytest_configure(config: pytest.Config) -> None:
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = s3_server.env()
    # A developer's own AWS settings must not leak into tests (or tests into real AWS).
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_CONDITIONAL_PUT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def s3_storage_options(s3_server: S3Server) -> dict[str, str]:
    return s3_server.storage_options()


@pytest.fixture
def s3_bucket(s3_server: S3Server, s3_env: dict[str, str]) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_uri(s3_bucket: str) -> str:
    return f"s3://{s3_bucket}/table"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def table_uri(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    if request.param == "local":
        return os.path.join(os.fspath(tmp_path), "table")
    return str(request.getfixturevalue("s3_uri"))
