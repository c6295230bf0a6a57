"""The feature guard on existing tables (issue 14): a table that already uses a feature delta-rs
1.6 cannot write (here rowTracking + domainMetadata, written by another engine) is flagged by
``import``, plans with no changes as imported, and the plan refuses any write to it with the
feature named — instead of apply failing half-way with deltalake's "Unsupported table features".
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tablespec.cli import run

SCHEMA = {"type": "struct", "fields": [{"name": "id", "type": "long", "nullable": True, "metadata": {}}]}


def _tracked_table(path: Path) -> None:
    log = path / "_delta_log"
    log.mkdir(parents=True)
    actions = [
        {"protocol": {"minReaderVersion": 1, "minWriterVersion": 7, "writerFeatures": ["rowTracking", "domainMetadata"]}},
        {"metaData": {"id": str(uuid.uuid4()), "format": {"provider": "parquet", "options": {}},
                      "schemaString": json.dumps(SCHEMA), "partitionColumns": [],
                      "configuration": {"delta.enableRowTracking": "true"}, "createdTime": 1700000000000}},
        {"commitInfo": {"timestamp": 1700000000000, "operation": "CREATE TABLE", "engineInfo": "Apache-Spark/3.5"}},
    ]
    (log / f"{0:020d}.json").write_text("\n".join(json.dumps(a) for a in actions) + "\n")


def test_import_flags_the_feature_and_the_plan_refuses_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "tracked"
    _tracked_table(table)
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "tracked.yaml"
    code = run(["import", str(table), "--name", "lab.tracked", "--out", str(spec)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "rowTracking" in captured.err and "delta-rs" in captured.err
    assert run(["validate", "specs"]) == 0, capsys.readouterr()  # the imported spec itself is valid
    capsys.readouterr()
    assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
    capsys.readouterr()

    spec.write_text(spec.read_text() + "description: Tracked rows\n")
    assert run(["plan", "--format", "json", "--detailed-exitcode"]) == 2
    [plan] = json.loads(capsys.readouterr().out)["tables"]
    refused = [a for a in plan["actions"] if a["risk"] == "unsupported"]
    assert refused and "rowTracking" in refused[0]["reason"]
    assert run(["apply", "--auto-approve"]) == 4
    assert "rowTracking" in capsys.readouterr().out
    assert len(list((table / "_delta_log").glob("*.json"))) == 1  # nothing written
