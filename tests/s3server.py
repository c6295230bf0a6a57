"""A real S3 endpoint on 127.0.0.1 for tests: moto's server mode, one per test session.

Why moto's server and not ``mock_aws``: deltalake talks to S3 from Rust (object_store), which a
Python-level mock never sees. A server on a free local port is reached over HTTP like MinIO or AWS,
so the code under test runs exactly as in production, including conditional PUTs
(``If-None-Match: *``) that make concurrent Delta commits safe.

Why a subprocess and not ``moto.server.ThreadedMotoServer``: some deltalake calls (``history`` for
one) block in Rust without releasing the GIL; with the server on a thread of the same process
they wait for an answer the server can never send, until object_store's 180 s timeout.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
    """moto's S3 server in a child process bound to 127.0.0.1; ``start``/``stop`` once per session."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self, timeout: float = 30.0) -> S3Server:
        # Output goes to a file, not a pipe: werkzeug logs a line per request, and a full pipe
        # nobody reads would stall the server.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited with code {self._process.returncode}: {self.output()[-4000:]}")
            try:
                with urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto server did not answer on {self.endpoint} within {timeout:.0f}s")

    def stop(self) -> None:
        """Stop the server this object started (by its own process handle, nothing else)."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """Everything the server logged so far (one line per request, werkzeug's format)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def refused_puts(self, bucket: str) -> int:
        """PUTs into ``bucket`` the server answered 412 Precondition Failed: conditional writes
        (``If-None-Match: *``) that lost a race for an object that already existed."""
        pattern = re.compile(rf'"PUT /{re.escape(bucket)}/\S+ HTTP/1\.1" 412 ')
        return len(pattern.findall(re.sub(r"\x1b\[[0-9;]*m", "", self.output())))

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
