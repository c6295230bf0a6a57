"""Issue 13.3: a folder (or a glob that names no extension) reads only files of the source's
format, compressed variants included; the other files are skipped, counted and named in the plan,
never loaded. A glob that names an extension itself (``*.txt``) takes what it names."""

from __future__ import annotations

import gzip
from pathlib import Path

import boto3
import pytest
from fixtures.upkeep import Project

SOURCE = """\
sources:
  - name: drop
    format: csv
    path: {path}
    mode: append
"""
FILES = {
    "a.csv": b"id,v,dt\n1,a,2024-01-01\n",
    "b.csv.gz": gzip.compress(b"id,v,dt\n2,b,2024-01-01\n"),
    "nested/c.tsv": b"id\tv\tdt\n3,c\t2024-01-01\n".replace(b",", b"\t"),
    "README.txt": b"This folder holds the daily export.\n",
    "manifest.json": b'{"files": 3}\n',
    "_SUCCESS": b"",
    "data.json.gz": gzip.compress(b'[{"id": 4}]'),
}


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def lab(where: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Project:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    project = Project(tmp_path / "project", str(tmp_path / "warehouse"), capsys)
    monkeypatch.chdir(project.root)
    if where == "local":
        for name, body in FILES.items():
            (project.root / "data" / name).parent.mkdir(parents=True, exist_ok=True)
            (project.root / "data" / name).write_bytes(body)
        project.data = "../data/"  # type: ignore[attr-defined]
    else:
        bucket = request.getfixturevalue("s3_bucket")
        env = request.getfixturevalue("s3_env")
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1")
        for name, body in FILES.items():
            client.put_object(Bucket=bucket, Key=f"landing/{name}", Body=body)
        project.data = f"s3://{bucket}/landing/"  # type: ignore[attr-defined]
    return project


def ids(lab: Project) -> list[int]:
    return sorted(lab.table.read().collect()["id"].to_list())


@pytest.mark.parametrize("suffix", ["", "*", "**"])
def test_a_folder_loads_only_files_of_its_format(lab: Project, suffix: str) -> None:
    lab.spec(SOURCE.format(path=lab.data + suffix))  # type: ignore[attr-defined]
    code, out = lab.cli("plan")
    assert code == 0, out
    if suffix == "*":  # one level: the nested file is not matched at all
        assert "skipped 3 files of another format: README.txt, data.json.gz, manifest.json" in out, out
    else:
        assert "3 files" in out and "skipped 3 files of another format: README.txt, data.json.gz, manifest.json" in out, out
    assert "_SUCCESS" not in out  # hidden files were never candidates

    lab.apply()
    assert ids(lab) == ([1, 2] if suffix == "*" else [1, 2, 3])
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_a_glob_that_names_an_extension_takes_it(lab: Project) -> None:
    lab.spec(SOURCE.format(path=lab.data + "*.txt"))  # type: ignore[attr-defined]
    code, out = lab.cli("apply", "--auto-approve")  # README.txt is not CSV of this table's columns

    assert code == 1 and "README.txt" in out and "skipped" not in out, out
