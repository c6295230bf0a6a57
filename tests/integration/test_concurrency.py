"""Concurrent writers on one table, locally and on S3: no commit lost, none overwritten.

Writers are separate processes (as CI jobs would be), each running a short script against the
same table through tablespec.DeltaTable. Afterwards the Delta log must hold one JSON file per
version, 0..N with no gap, and the rows must add up.

Why this works on S3 without a lock service: deltalake 1.6 writes each commit file with a
conditional PUT (``If-None-Match: *``); the loser of a race gets 412 and retries at the next
version. ``test_existing_commit_is_never_overwritten`` pins that down deterministically.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import polars as pl
import pyarrow as pa
import pytest

from tablespec.delta.table import DeltaTable
from tablespec.errors import ConcurrentModification

pytestmark = pytest.mark.slow

WRITERS = 4
APPENDS = 20
TIMEOUT = 240

APPEND_WORKER = textwrap.dedent(
    """
    import sys
    import pyarrow as pa
    from tablespec.delta.table import DeltaTable

    uri, writer, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    table = DeltaTable(uri)
    for i in range(count):
        table.append(pa.table({"writer": [writer], "seq": [i]}), commit_metadata={"writer": writer})
    """
)

MERGE_WORKER = textwrap.dedent(
    """
    import json, sys
    import pyarrow as pa
    from tablespec.errors import ConcurrentModification
    from tablespec.delta.table import DeltaTable

    uri, rounds = sys.argv[1], int(sys.argv[2])
    table = DeltaTable(uri)
    outcome = {"committed": [], "conflicts": 0}
    for r in range(rounds):
        try:
            # Upsert keys 0..4 with value r; seq marks which round wrote them.
            table.merge(pa.table({"writer": [-1] * 5, "seq": list(range(5)), "round": [r] * 5}), keys=["seq", "writer"])
            outcome["committed"].append(r)
        except ConcurrentModification:
            outcome["conflicts"] += 1
    print(json.dumps(outcome))
    """
)


def _spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _finish(process: subprocess.Popen[str]) -> str:
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"writer did not finish in {TIMEOUT}s: {err[-2000:]}")
    assert process.returncode == 0, err[-4000:]
    return out


def _log_versions(uri: str, request: pytest.FixtureRequest) -> list[int]:
    """Versions of the commit files in _delta_log, straight from storage."""
    if uri.startswith("s3://"):
        bucket, _, prefix = uri[len("s3://") :].partition("/")
        names = [
            k.rsplit("/", 1)[1] for k in request.getfixturevalue("s3_server").keys(bucket, prefix + "/_delta_log/")
        ]
    else:
        names = os.listdir(os.path.join(uri, "_delta_log"))
    return sorted(int(n.split(".")[0]) for n in names if n.endswith(".json") and n.split(".")[0].isdigit())


def test_concurrent_appends_lose_nothing(table_uri: str, request: pytest.FixtureRequest) -> None:
    table = DeltaTable(table_uri)
    table.create(pa.schema([("writer", pa.int64()), ("seq", pa.int64())]))
    processes = [_spawn(APPEND_WORKER, table_uri, w, APPENDS) for w in range(WRITERS)]
    for process in processes:
        _finish(process)

    expected = WRITERS * APPENDS
    assert table.version == expected
    assert _log_versions(table_uri, request) == list(range(expected + 1))
    frame = table.read().collect()
    assert frame.height == expected
    assert sorted(zip(frame["writer"], frame["seq"], strict=True)) == [
        (w, i) for w in range(WRITERS) for i in range(APPENDS)
    ]
    history = table.history()
    writers = [h.metadata.get("writer") for h in history if h.operation == "WRITE"]
    assert sorted(writers) == sorted(w for w in range(WRITERS) for _ in range(APPENDS))
    if table_uri.startswith("s3://"):
        # Every commit attempt that lost a race was a PUT the server refused with 412, i.e. a
        # conditional write; none silently replaced a commit file.
        retries = sum(h.metrics.get("num_retries", 0) for h in history)
        bucket = table_uri[len("s3://") :].split("/", 1)[0]
        assert retries > 0
        assert request.getfixturevalue("s3_server").refused_puts(bucket) == retries


def test_concurrent_merge_and_append(table_uri: str, request: pytest.FixtureRequest) -> None:
    """A merge racing appends either commits or fails with ConcurrentModification; either way no
    appended row is lost and no merge key is duplicated."""
    table = DeltaTable(table_uri)
    table.create(pa.schema([("writer", pa.int64()), ("seq", pa.int64()), ("round", pa.int64())]))
    rounds, appends = 6, 10
    merger = _spawn(MERGE_WORKER, table_uri, rounds)
    appender = _spawn(APPEND_WORKER, table_uri, 7, appends)
    outcome = json.loads(_finish(merger).strip().splitlines()[-1])
    _finish(appender)

    committed, conflicts = outcome["committed"], outcome["conflicts"]
    assert len(committed) + conflicts == rounds
    assert committed, "at least the merges that ran alone must commit"
    frame = table.read().collect()
    appended = sorted(frame.filter(frame["writer"] == 7)["seq"].to_list())
    assert appended == list(range(appends))
    merged = frame.filter(frame["writer"] == -1)
    assert sorted(merged["seq"].to_list()) == list(range(5))  # each key once
    assert set(merged["round"].to_list()) == {committed[-1]}
    assert table.version == appends + len(committed)
    assert _log_versions(table_uri, request) == list(range(table.version + 1))


def test_existing_commit_is_never_overwritten(table_uri: str, request: pytest.FixtureRequest) -> None:
    """Another writer's commit lands after our snapshot and while our data is being written: ours
    must not replace it but go to the next version. (deltalake lists the log again just before it
    commits, so this does not reach the conditional PUT; the concurrent test above does.)"""
    table = DeltaTable(table_uri)
    table.create(pa.schema([("writer", pa.int64()), ("seq", pa.int64())]))
    table.append(pa.table({"writer": [0], "seq": [0]}))
    foreign = json.dumps({"commitInfo": {"timestamp": 1, "operation": "FOREIGN", "operationParameters": {}}}) + "\n"
    key = "_delta_log/00000000000000000002.json"
    if table_uri.startswith("s3://"):
        bucket, _, prefix = table_uri[len("s3://") :].partition("/")
        client = request.getfixturevalue("s3_server").client()

        def put() -> None:
            client.put_object(Bucket=bucket, Key=f"{prefix}/{key}", Body=foreign.encode())

        def get() -> str:
            return client.get_object(Bucket=bucket, Key=f"{prefix}/{key}")["Body"].read().decode()
    else:
        path = os.path.join(table_uri, key)

        def put() -> None:
            with open(path, "w") as f:
                f.write(foreign)

        def get() -> str:
            with open(path) as f:
                return f.read()

    schema = pa.schema([("writer", pa.int64()), ("seq", pa.int64())])

    def batches():  # type: ignore[no-untyped-def]
        put()  # deltalake pulls the data after loading the snapshot at version 1
        yield pa.record_batch({"writer": [1], "seq": [1]}, schema=schema)

    result = table.append(pa.RecordBatchReader.from_batches(schema, batches()))
    assert result.version == 3
    assert get() == foreign
    assert [h.operation for h in table.history(2)] == ["WRITE", "FOREIGN"]
    assert _log_versions(table_uri, request) == [0, 1, 2, 3]
    assert table.read().collect().height == 2


# --- deterministic interleavings: another writer commits while ours is in flight ---------------
#
# The other writer runs in a child process, started from inside our input stream: deltalake cannot
# be called from a callback it is itself running (one tokio runtime per process).

OTHER_APPEND = (
    "from tablespec.delta.table import DeltaTable; import pyarrow as pa, sys; "
    "DeltaTable(sys.argv[1]).append(pa.table({'writer': [2], 'seq': [9]}))"
)
OTHER_MERGE = (
    "from tablespec.delta.table import DeltaTable; import pyarrow as pa, sys; "
    "DeltaTable(sys.argv[1]).merge(pa.table({'writer': [0], 'seq': [0]}), keys=['writer', 'seq'], "
    "when_matched='delete')"
)


def _table(tmp_path: os.PathLike[str]) -> DeltaTable:
    table = DeltaTable(os.path.join(os.fspath(tmp_path), "t"))
    table.create(pa.schema([("writer", pa.int64()), ("seq", pa.int64())]))
    table.append(pa.table({"writer": [0, 0], "seq": [0, 1]}))
    return table


def _other_writer(script: str, uri: str) -> None:
    subprocess.run([sys.executable, "-c", script, uri], check=True, timeout=TIMEOUT, capture_output=True)


def _reader_that_lets(script: str, uri: str) -> pa.RecordBatchReader:
    """A one-batch reader that lets another writer commit when deltalake first pulls from it,
    i.e. after our operation took its snapshot and before it commits."""
    schema = pa.schema([("writer", pa.int64()), ("seq", pa.int64())])

    def batches():  # type: ignore[no-untyped-def]
        _other_writer(script, uri)
        yield pa.record_batch({"writer": [1], "seq": [1]}, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def test_streamed_merge_racing_an_append_fails_cleanly(tmp_path: os.PathLike[str]) -> None:
    ours = _table(tmp_path)
    with pytest.raises(ConcurrentModification, match="concurrent"):
        ours.merge(_reader_that_lets(OTHER_APPEND, ours.uri), keys=["writer", "seq"])
    assert ours.version == 2  # their append, nothing of ours
    assert sorted(ours.read().collect()["writer"].to_list()) == [0, 0, 2]


def test_streamed_append_racing_a_merge_fails_cleanly(tmp_path: os.PathLike[str]) -> None:
    """deltalake treats even a plain append as having read the table (not Delta's blind append)."""
    ours = _table(tmp_path)
    with pytest.raises(ConcurrentModification):
        ours.append(_reader_that_lets(OTHER_MERGE, ours.uri))
    assert ours.version == 2  # their merge (deleting row 0/0), nothing of ours
    assert ours.read().collect().rows() == [(0, 1)]


def test_replayable_inputs_are_redone_after_a_conflict(tmp_path: os.PathLike[str]) -> None:
    ours = _table(tmp_path)
    calls = []

    def interfere_once(frame: pl.DataFrame) -> pl.DataFrame:
        if not calls:
            _other_writer(OTHER_MERGE, ours.uri)
        calls.append(1)
        return frame

    lazy = pl.LazyFrame({"writer": [1], "seq": [1]}).map_batches(interfere_once)
    result = ours.append(lazy)
    assert len(calls) == 2  # the first attempt conflicted, the second committed
    assert result.version == 3 and result.rows == 1
    assert sorted(ours.read().collect().rows()) == [(0, 1), (1, 1)]
