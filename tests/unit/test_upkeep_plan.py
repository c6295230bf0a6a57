"""Upkeep planning (``maintenance:``) as a pure function of what the log says: in-memory inputs,
one expected action (STYLE.md point 2). The integration tests prove delta-rs agrees."""

from __future__ import annotations

import pytest

from tablespec.model.actions import Checkpoint, CleanupLog, Optimize, PartitionWork
from tablespec.model.plan import action_from_json, to_json
from tablespec.model.sizes import parse_size
from tablespec.model.spec import MaintenanceSpec, OptimizeSpec
from tablespec.model.state import DataFile, UpkeepState
from tablespec.planning.upkeep import earliest_readable, plan_checkpoint, plan_cleanup, plan_optimize, plan_upkeep

MIB = 1024**2
DAY_MS = 86_400_000
NOW = 100 * DAY_MS


def _files(dt: str | None, sizes: list[int], prefix: str = "f") -> list[DataFile]:
    part = (("dt", dt),) if dt is not ... else ()
    return [DataFile(f"{prefix}-{dt}-{i}.parquet", size, part) for i, size in enumerate(sizes)]


def test_compaction_plans_partitions_with_enough_small_files() -> None:
    spec = OptimizeSpec(target_size=64 * MIB, min_small_files=3)
    files = _files("a", [MIB] * 3 + [40 * MIB, 100 * MIB]) + _files("b", [MIB] * 2) + _files(None, [MIB] * 4)
    action = plan_optimize("t", spec, files)
    assert action == Optimize("t", 64 * MIB, (), (
        # delta-rs rewrites every file under the target, not only the small ones; 100 MiB stays
        PartitionWork((("dt", "a"),), 4, 43 * MIB, 1),
        PartitionWork((("dt", None),), 4, 4 * MIB, 1),  # the null partition sorts last
    ))


def test_compaction_expects_bytes_over_target_files() -> None:
    action = plan_optimize("t", OptimizeSpec(target_size=10 * MIB, min_small_files=2), _files("a", [4 * MIB] * 6))
    assert action is not None and action.partitions[0].files_out == 3


def test_nothing_to_compact() -> None:
    spec = OptimizeSpec(target_size=64 * MIB, min_small_files=8)
    assert plan_optimize("t", spec, _files("a", [MIB] * 7)) is None
    assert plan_optimize("t", spec, _files("a", [60 * MIB] * 20)) is None  # none below half the target
    assert plan_optimize("t", spec, []) is None


def test_z_order_skips_partitions_written_by_their_last_z_order() -> None:
    spec = OptimizeSpec(target_size=64 * MIB, z_order=("id",))
    a, b, c = _files("a", [MIB]), _files("b", [MIB, MIB]), _files("c", [MIB])
    marks = [(a[0].path, 7, ("ID",)), (b[0].path, 7, ("id",)), (c[0].path, 5, ("other",))]
    action = plan_optimize("t", spec, a + b + c, marks)
    # a: clean (case-insensitive columns); b: a new file arrived; c: z-ordered by other columns
    assert action is not None
    assert [p.values for p in action.partitions] == [(("dt", "b"),), (("dt", "c"),)]
    assert action.partitions[0].files == 2 and action.z_order == ("id",)


def test_z_order_of_files_from_two_different_commits_is_due() -> None:
    spec = OptimizeSpec(target_size=64 * MIB, z_order=("id",))
    files = _files("a", [MIB, MIB])
    marks = [(files[0].path, 3, ("id",)), (files[1].path, 9, ("id",))]
    assert plan_optimize("t", spec, files, marks) is not None


def _state(commits: dict[int, float], checkpoints: dict[int, float]) -> UpkeepState:
    """Ages in days before NOW."""
    return UpkeepState(commits=tuple((v, NOW - int(age * DAY_MS)) for v, age in sorted(commits.items())),
                       checkpoints=tuple(sorted(checkpoints)),
                       checkpoint_files=tuple((v, NOW - int(age * DAY_MS)) for v, age in sorted(checkpoints.items())),
                       now_ms=NOW)


def test_cleanup_follows_delta_rs_rule() -> None:
    # versions 0..20, checkpoints at 4, 9, 14, 19; 0..12 older than 30 days
    commits = {v: 40 if v <= 12 else 1 for v in range(21)}
    state = _state(commits, {4: 40, 9: 40, 14: 1, 19: 1})
    action = plan_cleanup("t", state, version=20, retention_s=30 * 86400, promised_s=30 * 86400)
    # oldest entry inside the retention: 13 -> newest checkpoint at or below it: 9
    assert action == CleanupLog("t", 30 * 86400, entries=9, checkpoint_files=1, through_version=8, oldest_kept=9,
                                unsafe_entries=0, promised_seconds=30 * 86400)
    assert action.risk == "maintenance"


def test_no_cleanup_without_a_checkpoint_or_expired_entries() -> None:
    assert plan_cleanup("t", _state({v: 40 for v in range(5)}, {}), version=4, retention_s=86400,
                        promised_s=86400) is None
    assert plan_cleanup("t", _state({v: 1 for v in range(10)}, {4: 1}), version=9, retention_s=30 * 86400,
                        promised_s=30 * 86400) is None


def test_cleanup_shortening_the_promise_is_destructive() -> None:
    state = _state({v: 5 if v <= 7 else 0 for v in range(11)}, {4: 5, 9: 0})
    action = plan_cleanup("t", state, version=10, retention_s=86400, promised_s=30 * 86400)
    assert action is not None and action.entries == 4 and action.unsafe_entries == 4
    assert action.risk == "destructive" and "time travel" in action.refused_reason


def test_earliest_readable_needs_every_commit_after_its_checkpoint() -> None:
    assert earliest_readable({6, 7, 8, 9, 10}, {4, 9}, 10) == 9  # 5 is gone: 4 cannot be rebuilt
    assert earliest_readable({5, 6, 7, 8, 9, 10}, {4, 9}, 10) == 4
    assert earliest_readable(set(range(11)), {4, 9}, 10) == 0


def test_checkpoint_when_the_interval_has_passed() -> None:
    state = _state({v: 0 for v in range(13)}, {})
    assert plan_checkpoint("t", state, version=12, interval=5) == Checkpoint("t", 12, 13, 5)
    assert plan_checkpoint("t", _state({v: 0 for v in range(13)}, {10: 0}), version=12, interval=5) is None


def test_plan_upkeep_orders_optimize_cleanup_checkpoint() -> None:
    maintenance = MaintenanceSpec(OptimizeSpec(target_size=64 * MIB, min_small_files=2), 5, True)
    state = _state({v: 40 for v in range(12)}, {5: 40})
    state = UpkeepState(files=tuple(_files("a", [MIB] * 3)), commits=state.commits, checkpoints=state.checkpoints,
                        checkpoint_files=state.checkpoint_files, now_ms=NOW)
    actions = plan_upkeep("t", maintenance, state, version=11, log_retention_s=30 * 86400, promised_s=30 * 86400)
    assert [type(a) for a in actions] == [Optimize, CleanupLog, Checkpoint]


def test_upkeep_actions_round_trip_through_json() -> None:
    actions = (Optimize("t", 10, ("id",), (PartitionWork((("dt", "a"), ("h", None)), 3, 30, 3),)),
               CleanupLog("t", 1, 2, 0, 3, 4, 0, 5), Checkpoint("t", 6, 7, 8))
    for action in actions:
        assert action_from_json(to_json(action)) == action


@pytest.mark.parametrize(("text", "size"), [("128 MiB", 128 * MIB), ("1 GB", 10**9), ("2 gib", 2 * 1024**3),
                                            ("100 kb", 100_000), ("1.5 KiB", 1536), ("512", 512), (4096, 4096)])
def test_sizes(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["12 parsecs", "MiB", "-1 MiB", "0 B", "1 MB/s", ""])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)
