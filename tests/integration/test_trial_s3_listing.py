"""Issue 13.8: an S3 source that cannot be listed (here: a store that refuses every connection on
127.0.0.1) is a storage error naming the table, the source and the URI, with a hint; not
"unexpected OSError" with curl's text."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fixtures.upkeep import Project, project_for

SOURCE = """\
sources:
  - name: landing
    format: csv
    path: s3://no-such-bucket-tablespec/landing/
    mode: append
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_an_unlistable_s3_source_is_a_located_storage_error(request: pytest.FixtureRequest, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str],
                                                             command: tuple[str, ...]) -> None:  # fmt: skip
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: every request is refused
    for key, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "x",
                       "AWS_SECRET_ACCESS_KEY": "y", "AWS_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    request.param = "local"  # type: ignore[attr-defined]  # the table itself is local
    lab: Project = project_for(request, tmp_path, monkeypatch, capsys, SOURCE)
    code, out = lab.cli(*command)

    assert code == 1, out
    assert "lab.events" in out and "source 'landing'" in out and "s3://no-such-bucket-tablespec/landing/" in out, out
    assert "unexpected" not in out and "Traceback" not in out
    assert "check AWS_ENDPOINT_URL" in out
