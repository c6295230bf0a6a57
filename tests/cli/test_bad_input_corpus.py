"""Run the bad-input corpus (tests/cli/bad_inputs.py): for every case the exit code, the location in
the message, no traceback, and the table's version, rows and files unchanged.

One project is built per session (``demo.t`` applied once, rows in it) and copied for each case,
so a case costs a folder copy and one in-process CLI run. A handful of cases also run as real
subprocesses (marked slow) to prove nothing reaches the terminal from Rust or Python tracebacks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bad_inputs import BASE_CSV, BASE_ROWS, SPEC, Case, all_cases, counts

from tablespec.cli import run

CASES = all_cases()
_ENV_CLEAR = ("TABLESPEC_WAREHOUSE", "TABLESPEC_DEBUG", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "MY_DB_PASSWORD",
              "TABLESPEC_CORPUS_UNSET", "TABLESPEC_TEST_UNSET_VAR")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "project"
    (root / "specs").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n")
    (root / "specs" / "t.yaml").write_text(SPEC)
    (root / "data" / "a.csv").write_text(BASE_CSV)
    env = {k: v for k, v in os.environ.items() if k not in _ENV_CLEAR}
    done = subprocess.run([sys.executable, "-m", "tablespec", "apply", "--auto-approve"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def _state(root: Path) -> tuple[int, int, dict[str, int]]:
    """demo.t's version and row count, and every file of the warehouse with its size."""
    from deltalake import DeltaTable

    table = DeltaTable(str(root / "warehouse" / "demo" / "t"))
    files = {}
    for folder, _, names in os.walk(root / "warehouse"):
        for name in names:
            path = Path(folder) / name
            files[str(path.relative_to(root))] = path.stat().st_size
    return table.version(), table.to_pyarrow_dataset().count_rows(), files


def _prepare(case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(template, root)
    spec = SPEC
    for old, new in case.spec_edits:
        spec = spec.replace(old, new.replace("{root}", str(root)), 1)
    (root / "specs" / "t.yaml").write_text(spec)
    for rel, content in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    for key in _ENV_CLEAR:
        monkeypatch.delenv(key, raising=False)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    return root


def _check(case: Case, code: int, output: str) -> None:
    assert code == case.code, f"{case.name}: exit {code}, expected {case.code}; output:\n{output}"
    assert "Traceback" not in output and "panicked" not in output, output
    for pattern in case.where:
        assert re.search(pattern, output), f"{case.name}: no match for {pattern!r} in:\n{output}"
    for text in case.absent:
        assert text not in output, f"{case.name}: {text!r} must not be shown:\n{output}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   capsys: pytest.CaptureFixture[str]) -> None:
    root = _prepare(case, template, tmp_path, monkeypatch)
    before = _state(root)
    capsys.readouterr()
    code = run(list(case.argv))
    out, err = capsys.readouterr()
    _check(case, code, err + out)
    after = _state(root)
    if case.unchanged:
        assert after == before, f"{case.name}: the warehouse changed"
    else:
        assert after[0] == before[0] + 1 and after[1] > before[1], f"{case.name}: expected one load commit"
        assert after[1] == BASE_ROWS + 1


# Cases where a real terminal matters: the Rust side (panics, log lines) and Python's own output.
SUBPROCESS = ("csv_invalid_utf8", "location_is_a_file", "parquet_not_parquet", "warehouse_unknown_scheme",
              "secret_in_description", "import_out_missing_folder")


@pytest.mark.slow
@pytest.mark.parametrize("name", SUBPROCESS)
def test_bad_input_subprocess(name: str, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [case] = [c for c in CASES if c.name == name]
    root = _prepare(case, template, tmp_path, monkeypatch)
    before = _state(root)
    env = {k: v for k, v in os.environ.items() if k not in _ENV_CLEAR} | case.env
    done = subprocess.run([sys.executable, "-m", "tablespec", *case.argv], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=False, stdin=subprocess.DEVNULL)
    _check(case, done.returncode, done.stderr + done.stdout)
    assert _state(root) == before


def test_corpus_shape() -> None:
    """Every refused case names a place; names are unique; the corpus covers all three inputs."""
    assert len({c.name for c in CASES}) == len(CASES)
    assert all(c.where for c in CASES if c.code != 0)
    figures = counts(CASES)
    assert figures["cases"] >= 90 and figures["kind_data"] >= 10 and figures["kind_cli"] >= 10
    assert figures["refused"] + figures["accepted_on_purpose"] == figures["cases"]
