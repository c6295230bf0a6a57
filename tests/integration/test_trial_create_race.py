"""Issue 13.2: three processes create the same table at once, several rounds, locally and on the
S3 server. Exactly one CREATE commits (version 0, one table id); the others are told the table
exists (``TableExists``, which apply re-plans on). delta-rs used to retry a lost version-0 commit
as version 1: a second CREATE with a new ``metaData.id``."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from deltalake import DeltaTable as Raw

CREATE = """
import json, sys, time
import pyarrow as pa
from tablespec import DeltaTable
from tablespec.errors import TableExists
uri, start, options = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
table = DeltaTable(uri, options)
while time.time() < start:
    time.sleep(0.001)
try:
    print("created", table.create(pa.schema([pa.field("id", pa.int64())])))
except TableExists as e:
    print("exists")
"""


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_racing_creates_commit_one_create(table_uri: str, request: pytest.FixtureRequest) -> None:
    options = request.getfixturevalue("s3_storage_options") if table_uri.startswith("s3://") else {}
    for round_ in range(4):
        uri = f"{table_uri}/round{round_}"
        start = time.time() + 3.0  # every process imported and waiting: they start together
        procs = [subprocess.Popen([sys.executable, "-c", CREATE, uri, str(start), json.dumps(options)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
        results = [p.communicate(timeout=120) for p in procs]
        outs = sorted(out.strip() for out, _ in results)
        assert all(p.returncode == 0 for p in procs), [err for _, err in results]

        assert outs == ["created 0", "exists", "exists"], outs
        raw = Raw(uri, storage_options=options or None)
        assert raw.version() == 0
        assert [h["operation"] for h in raw.history()] == ["CREATE TABLE"]
