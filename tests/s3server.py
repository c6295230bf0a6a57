"""A real S3 endpoint on 127.0.0.1 for tests: moto's server mode, one per test session.

Why moto's server and not ``mock_aws``: deltalake talks to S3 from Rust (object_store), which a
Python-level mock never sees. A server on a free local port is reached over HTTP like MinIO or AWS,
so the code under test runs exactly as in production, including conditional PUTs
(``If-None-Match: *``) that make concurrent Delta commits safe.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ACCESS_KEY = "tablespec-test-key"
SECRET_KEY = "tablespec-test-secret"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class S3Server:
    """moto's threaded S3 server bound to 127.0.0.1; ``start``/``stop`` once per session."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: Any = None

    def start(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        # werkzeug logs one line per request to stderr; thousands of them drown test output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def env(self) -> dict[str, str]:
        """The AWS_* variables a user exports for this endpoint (what ``load_config`` reads)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
        }

    def storage_options(self) -> dict[str, str]:
        """deltalake storage options for this endpoint; nothing beyond the user's variables is needed."""
        return dict(self.env())

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self, prefix: str = "t") -> str:
        """A fresh, empty bucket, so tests never see each other's objects."""
        name = f"{prefix}-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        client = self.client()
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)


@contextmanager
def running_server() -> Iterator[S3Server]:
    server = S3Server().start()
    try:
        yield server
    finally:
        server.stop()
