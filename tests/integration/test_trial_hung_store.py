"""Issue 13.7: a store that accepts TCP connections and never answers gives a clear error within
the client limits (about 20 s by default, not object_store's ~3 minutes), and ``storage:`` in
tablespec.yaml overrides the limits. The store is a real listener on 127.0.0.1 that never
replies; it closes when the test ends."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tablespec.cli import run
from tablespec.config import CLIENT_DEFAULTS, load_config

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: x.a
location: s3://bucket/x/a
columns:
  - {name: id, type: long}
"""


@pytest.fixture
def silent_store() -> Iterator[str]:
    """An endpoint whose TCP connections are accepted (by the kernel's backlog) and never answered."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_store: str) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    for key, value in {"AWS_ENDPOINT_URL": silent_store, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
                       "AWS_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    return tmp_path


@pytest.mark.slow
@pytest.mark.timeout(90)  # object_store's own defaults would take ~180 s: this fails, not hangs
def test_a_silent_store_fails_plan_with_a_clear_error(project: Path, silent_store: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["plan"])
    out, err = capsys.readouterr()

    assert code == 1, out + err
    text = out + err
    assert "x.a" in text and silent_store in text and "did not answer in time" in text, text
    assert "retry_timeout" in text and "Traceback" not in text


@pytest.mark.timeout(60)
def test_storage_overrides_the_client_limits(project: Path, silent_store: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / "tablespec.yaml").write_text("storage:\n  timeout: 1s\n  retry_timeout: 2s\n")
    options = load_config().storage_options("s3://bucket/x/a")
    assert options["timeout"] == "1s" and options["retry_timeout"] == "2s"
    assert options["connect_timeout"] == CLIENT_DEFAULTS["connect_timeout"]

    code = run(["show", "x.a"])
    out, err = capsys.readouterr()
    assert code == 1 and "did not answer in time" in out + err, out + err


def test_the_library_gets_the_limits_too(silent_store: str) -> None:
    from tablespec import DeltaTable

    table = DeltaTable("s3://bucket/x/a", {"AWS_ENDPOINT_URL": silent_store, "timeout": "1s"})
    assert table.storage_options["timeout"] == "1s"
    assert table.storage_options["retry_timeout"] == CLIENT_DEFAULTS["retry_timeout"]
    assert DeltaTable("/tmp/x", {}).storage_options == {}  # local tables take no client options
