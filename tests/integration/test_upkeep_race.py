"""An optimize that loses the race to a concurrent writer (issue 14): it is redone on the new
snapshot, or the table is re-planned; it never resurrects a deleted row, never drops an appended
one, and a race it cannot win fails the table loudly rather than skipping its other actions.

The race is real: a second writer (deltalake itself, as another process's job would) commits
between the moment the optimize reads its snapshot and the moment it commits. ``Racing`` is the
real ``tablespec.delta.table.DeltaTable`` with that second writer let in right after the snapshot
is taken (``raw()``) while an optimize runs; every conflict comes from delta-rs's own checker.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import deltalake
import pyarrow as pa
import pytest
from fixtures.upkeep import Project, only, project_for

import tablespec.applying.executor as executor
from tablespec.config import load_config
from tablespec.delta.table import DeltaTable

SPEC = """\
partitioned_by: [dt]
maintenance:
  optimize:
    target_file_size: 64 MiB
    min_small_files: 4
"""


class Racing(DeltaTable):
    """A tablespec DeltaTable whose optimize is raced: ``racer(uri, attempt)`` commits as another
    writer after each snapshot an optimize reads, for the first ``races`` snapshots."""

    racer: Callable[[str, int], None]
    races = 1
    raced = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_optimize = False

    def optimize(self, **kwargs: Any) -> Any:
        self._in_optimize = True
        try:
            return super().optimize(**kwargs)
        finally:
            self._in_optimize = False

    def raw(self) -> deltalake.DeltaTable:
        handle = super().raw()
        if self._in_optimize and type(self).raced < type(self).races:
            type(self).raced += 1
            type(self).racer(self.uri, type(self).raced)
        return handle


def racing(racer: Callable[[str, int], None], races: int) -> type[Racing]:
    return type("RacingTable", (Racing,), {"racer": staticmethod(racer), "races": races, "raced": 0})


def options(uri: str) -> dict[str, str] | None:
    """The storage options tablespec derives from the environment (the S3 fixture sets it)."""
    return load_config().storage_options(uri) or None


def delete_id(target: int) -> Callable[[str, int], None]:
    def racer(uri: str, attempt: int) -> None:
        deltalake.DeltaTable(uri, storage_options=options(uri)).delete(f"id = {target + attempt - 1}")
    return racer


def append_rows(uri: str, attempt: int) -> None:
    rows = pa.table({"id": pa.array([10_000 + attempt], pa.int64()), "v": ["racer"], "dt": ["2024-01-01"]})
    deltalake.write_deltalake(uri, rows, mode="append", storage_options=options(uri))


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lab(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Project:
    project = project_for(request, tmp_path, monkeypatch, capsys, SPEC)
    project.apply()
    for _ in range(8):
        project.append("2024-01-01", rows=5)
    return project


def ids(lab: Project) -> list[int]:
    return sorted(lab.table.read().collect()["id"].to_list())


def test_optimize_raced_by_a_delete_is_redone_on_the_new_snapshot(lab: Project) -> None:
    table = racing(delete_id(3), races=1)(lab.uri, options(lab.uri), name="lab.events")
    result = table.optimize(partition=(("dt", "2024-01-01"),), target_size=64 << 20)

    assert type(table).raced == 1  # the race happened, between the snapshot and the commit
    assert 3 not in ids(lab), "the optimize brought back a row the concurrent delete removed"
    assert ids(lab) == [i for i in range(40) if i != 3]
    history = {c.version: c for c in lab.table.history()}
    optimize = history[result.version]
    assert optimize.operation == "OPTIMIZE"
    assert history[result.version - 1].operation == "DELETE"
    assert len(lab.live_files()) == 1


def test_optimize_raced_by_an_append_loses_no_row(lab: Project) -> None:
    """A blind append does not conflict with a compaction (delta-rs commits the optimize on top of
    it): the appended file stays live beside the compacted one, and no row is lost."""
    table = racing(append_rows, races=2)(lab.uri, options(lab.uri), name="lab.events")
    result = table.optimize(partition=(("dt", "2024-01-01"),), target_size=64 << 20)

    assert type(table).raced >= 1  # the race happened, between the snapshot and the commit
    assert ids(lab) == [*range(40), *(10_000 + n for n in range(1, type(table).raced + 1))]
    history = {c.version: c for c in lab.table.history()}
    assert history[result.version].operation == "OPTIMIZE"
    assert history[result.version - 1].operation == "WRITE"
    assert len(lab.live_files()) == 1 + type(table).raced  # compacted file + each appended one


def test_apply_whose_optimize_loses_a_race_converges(lab: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    assert only(lab.actions(), "Optimize")
    racer = racing(delete_id(7), races=1)
    with monkeypatch.context() as patch:  # (undo() would also undo the fixture's chdir)
        patch.setattr(executor, "DeltaTable", racer)
        lab.apply()

    assert racer.raced == 1
    assert ids(lab) == [i for i in range(40) if i != 7]
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_a_race_optimize_never_wins_fails_the_table_loudly(lab: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    racer = racing(delete_id(0), races=10_000)
    with monkeypatch.context() as patch:
        patch.setattr(executor, "DeltaTable", racer)
        code, out = lab.cli("apply", "--auto-approve")

    assert code == 1, out
    assert "lab.events" in out and "concurrent" in out.lower(), out
    assert racer.raced > 1  # retried, and re-planned, before giving up
    expected = [i for i in range(40) if i >= racer.raced]
    assert ids(lab) == expected  # every racing delete kept, nothing else lost
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 2 and "optimize" in out.lower(), out  # the compaction is still owed, and says so
    lab.apply()
    assert ids(lab) == expected
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out
