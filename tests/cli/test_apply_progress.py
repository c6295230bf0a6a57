"""Apply's progress on stderr: stable plain lines in logs (golden), a rich live view on a
terminal that honours NO_COLOR, and none with --no-progress or --format json.

Refresh the golden file with ``TABLESPEC_UPDATE_GOLDEN=1 pytest tests/cli/test_apply_progress.py``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tablespec.cli.progress import PlainProgress, RichProgress, plain_line
from tablespec.model.progress import FileProgress, Step

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "apply_progress.txt"
UPDATE = os.environ.get("TABLESPEC_UPDATE_GOLDEN") == "1"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for folder in ("specs", "data"):
        shutil.copytree(ROOT / folder, project / folder)
    return project


def _apply(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TABLESPEC_")}
    return subprocess.run([sys.executable, "-m", "tablespec", "apply", "--auto-approve", *args], cwd=project,
                          capture_output=True, text=True, env=env, timeout=300, check=False)


def test_plain_progress_lines_in_a_log_match_the_golden_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    out = _apply(project)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.replace(str(project), "<project>").splitlines()
    # Tables apply on threads, so lines of different tables interleave; within a table the order
    # is fixed. Group by table (a stable sort keeps each table's own order).
    grouped = sorted(lines, key=lambda line: line.split(":", 1)[0])
    text = "\n".join(grouped) + "\n"
    if UPDATE:
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")
    assert "\x1b[" not in out.stderr  # no terminal codes in a log


def test_no_progress_and_json_print_no_progress(tmp_path: Path) -> None:
    project = _project(tmp_path)
    quiet = _apply(project, "--no-progress", "--table", "web.events")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    as_json = _apply(project, "--format", "json", "--table", "crm.customers")
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stderr == ""
    assert as_json.stdout.lstrip().startswith("{")


def test_plain_lines_skip_batches_and_the_final_step() -> None:
    assert plain_line(Step("t", "done", 2, 2)) is None
    assert plain_line(FileProgress("t", "s", "a.csv", 1, 2, 10, 100, done=False)) is None
    assert plain_line(FileProgress("t", "s", "a.csv", 1, 2, 1500, 2048, done=True)) == (
        "t: load s: file 1/2 a.csv: 1,500 rows, 2.0 KiB")
    stream = io.StringIO()
    PlainProgress(stream)(Step("t", "CreateTable", 0, 2))
    assert stream.getvalue() == "t: [1/2] CreateTable\n"


def _events() -> list[Step | FileProgress]:
    return [
        Step("sales.orders", "CreateTable", 0, 2),
        Step("sales.orders", "LoadSource daily", 1, 2),
        FileProgress("sales.orders", "daily", "data/a.csv", 1, 2, 500, 4096, done=False),
        FileProgress("sales.orders", "daily", "data/a.csv", 1, 2, 1000, 4096, done=True),
        FileProgress("sales.orders", "daily", "data/b.csv", 2, 2, 700, 2048, done=True),
        Step("sales.orders", "done", 2, 2),
    ]


@pytest.mark.parametrize("no_color", [True, False])
def test_rich_view_on_a_terminal_honours_no_color(no_color: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich: treat the StringIO as a terminal
    monkeypatch.setenv("COLUMNS", "160")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    stream = io.StringIO()
    view = RichProgress(stream)
    for event in _events():
        view(event)
    view._progress.refresh()
    view.close()
    drawn = stream.getvalue()
    assert "sales.orders" in drawn and "load daily" in drawn
    assert "1,700 rows, 6.0 KiB" in drawn  # rows and bytes of the files read so far
    colours = "\x1b[32m" in drawn or "\x1b[90m" in drawn
    assert colours is not no_color


def test_rich_view_starts_only_with_the_first_event() -> None:
    """Approval is asked on the terminal before apply reports anything: no live display yet."""
    stream = io.StringIO()
    view = RichProgress(stream)
    view.close()
    assert stream.getvalue() == ""
