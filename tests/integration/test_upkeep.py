"""Table upkeep declared in the spec (``maintenance:``, issue 14), planned from the log and applied.

What must hold (PRODUCT.md "Upkeep"):

* compaction: a table built from many small appends is planned as one ``Optimize`` action with the
  partitions, files and bytes it will rewrite; apply compacts it without ``--allow`` (class
  ``maintenance``), every row stays exactly as it was (order-independent digest), and the next
  plan shows no changes; partitions with fewer than ``min_small_files`` small files are left alone;
* z-order: only partitions that received data since their last z-order are planned; tablespec
  records in the commit which partitions it z-ordered;
* every commit carries tablespec's provenance (plan id, spec hash).

Locally and on S3 (the moto server fixture) for content safety.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.upkeep import Project, kinds, only, partition_values

DAYS = ("2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04")
COMPACT = """\
partitioned_by: [dt]
maintenance:
  optimize:
    target_file_size: 64 MiB
    min_small_files: 8
"""


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "warehouse")
    return f"s3://{request.getfixturevalue('s3_bucket')}/warehouse"


@pytest.fixture
def lab(tmp_path: Path, warehouse: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Project:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    root = tmp_path / "project"
    project = Project(root, warehouse, capsys)
    monkeypatch.chdir(root)
    return project


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Project:
    monkeypatch.delenv("TABLESPEC_WAREHOUSE", raising=False)
    root = tmp_path / "project"
    project = Project(root, str(tmp_path / "warehouse"), capsys)
    monkeypatch.chdir(root)
    return project


def _appends(lab: Project) -> int:
    """200 small appends locally; 40 on S3, where each commit is several round trips."""
    return 40 if "://" in lab.warehouse else 200


def test_compaction_of_many_small_appends_is_planned_applied_and_converges(lab: Project) -> None:
    lab.spec(COMPACT)
    lab.apply()
    appends = _appends(lab)
    for i in range(appends):
        lab.append(DAYS[i % 4])
    before_files = lab.live_files()
    assert len(before_files) == appends
    digest = lab.digest()

    optimize = only(lab.actions(), "Optimize")
    assert optimize["risk"] == "maintenance"
    assert sorted(p["dt"] for p in partition_values(optimize)) == list(DAYS)
    assert sum(p["files"] for p in optimize["partitions"]) == appends
    assert sum(p["bytes"] for p in optimize["partitions"]) == sum(size for _, size in before_files.values())
    assert all(p["files_out"] == 1 for p in optimize["partitions"])  # tiny partitions: one file each
    code, text = lab.cli("plan")
    assert code == 0 and "optimize" in text and f"{appends} files" in text, text

    out = lab.apply()  # no --allow: maintenance preserves every row
    assert "Optimize" in out or "optimize" in out
    after = lab.live_files()
    assert len(after) == 4
    assert sorted(dt for dt, _ in after.values()) == list(DAYS)
    assert lab.digest() == digest
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_optimize_commits_carry_provenance_and_data_change_false(local: Project) -> None:
    local.spec(COMPACT)
    local.apply()
    for i in range(16):
        local.append(DAYS[i % 2])
    plan = local.plan_json()
    local.apply()
    history = local.table.history(5)
    optimizes = [c for c in history if c.operation == "OPTIMIZE"]
    assert len(optimizes) == 2  # one commit per partition
    [table_plan] = plan["tables"]
    for commit in optimizes:
        assert commit.metadata["tablespec.spec_hash"] == table_plan["spec_hash"]
        assert commit.metadata.get("tablespec.plan_id")
        actions = local.commit(commit.version)
        changes = [a.get("add") or a.get("remove") for a in actions if "add" in a or "remove" in a]
        assert changes and all(c["dataChange"] is False for c in changes)


def test_partitions_below_min_small_files_are_left_alone(local: Project) -> None:
    local.spec(COMPACT)
    local.apply()
    for _ in range(9):
        local.append("2024-01-01")
    for _ in range(7):  # one short of min_small_files
        local.append("2024-01-02")
    optimize = only(local.actions(), "Optimize")
    assert partition_values(optimize) == [{"dt": "2024-01-01"}]
    untouched = {p for p, (dt, _) in local.live_files().items() if dt == "2024-01-02"}
    local.apply()
    files = local.live_files()
    assert {p for p, (dt, _) in files.items() if dt == "2024-01-02"} == untouched
    assert sum(1 for dt, _ in files.values() if dt == "2024-01-01") == 1
    code, out = local.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_no_optimize_below_the_threshold_and_none_without_maintenance(local: Project) -> None:
    local.spec(COMPACT)
    local.apply()
    for _ in range(7):
        local.append("2024-01-01")
    assert "Optimize" not in kinds(local.actions())
    local.spec("partitioned_by: [dt]\n")  # no maintenance: nothing is ever compacted
    for _ in range(5):
        local.append("2024-01-01")
    assert "Optimize" not in kinds(local.actions())


def test_unpartitioned_table_is_compacted_as_one_unit(lab: Project) -> None:
    lab.spec("""\
        maintenance:
          optimize:
            target_file_size: 1 GB
            min_small_files: 5
        """)
    lab.apply()
    for i in range(12):
        lab.append(DAYS[i % 4])
    digest = lab.digest()
    optimize = only(lab.actions(), "Optimize")
    assert optimize["partitions"] == [{"values": [], "files": 12, "bytes": optimize["partitions"][0]["bytes"],
                                       "files_out": 1}]
    assert optimize["target_size"] == 10**9
    lab.apply()
    assert len(lab.live_files()) == 1
    assert lab.digest() == digest
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


ZORDER = """\
partitioned_by: [dt]
maintenance:
  optimize:
    target_file_size: 128 MiB
    min_small_files: 4
    z_order: [id]
"""


def test_z_order_reclusters_only_partitions_that_received_data(lab: Project) -> None:
    lab.spec(ZORDER)
    lab.apply()
    for _ in range(5):
        lab.append("2024-01-01")
    first = only(lab.actions(), "Optimize")
    assert first["z_order"] == ["id"] and partition_values(first) == [{"dt": "2024-01-01"}]
    digest = lab.digest()
    lab.apply()
    assert lab.digest() == digest
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out  # z-ordered partitions stay clean until new data arrives
    day_one = {p for p, (dt, _) in lab.live_files().items() if dt == "2024-01-01"}

    for _ in range(2):  # the second day's load: fewer files than min_small_files, still re-clustered
        lab.append("2024-01-02")
    second = only(lab.actions(), "Optimize")
    assert partition_values(second) == [{"dt": "2024-01-02"}]
    assert second["partitions"][0]["files"] == 2
    digest = lab.digest()
    lab.apply()
    assert lab.digest() == digest
    files = lab.live_files()
    assert {p for p, (dt, _) in files.items() if dt == "2024-01-01"} == day_one  # not rewritten
    assert sum(1 for dt, _ in files.values() if dt == "2024-01-02") == 1
    code, out = lab.cli("plan", "--detailed-exitcode")
    assert code == 0, out


def test_z_order_commit_records_the_partitions_it_clustered(local: Project) -> None:
    local.spec(ZORDER)
    local.apply()
    for dt in ("2024-01-01", "2024-01-02", "2024-01-01"):
        local.append(dt)
    local.apply()
    infos = [local.commit_info(v) for v in range(local.table.version + 1)]
    zorders = [i for i in infos if i.get("operation") == "OPTIMIZE"]
    recorded = [i["tablespec.optimize"] for i in zorders]
    assert sorted(r["partitions"][0]["dt"] for r in recorded) == ["2024-01-01", "2024-01-02"]
    assert all(r["z_order"] == ["id"] for r in recorded)


def test_new_data_in_a_z_ordered_partition_makes_it_dirty_again(local: Project) -> None:
    local.spec(ZORDER)
    local.apply()
    local.append("2024-01-01")
    local.append("2024-01-02")
    local.apply()
    local.append("2024-01-02")
    optimize = only(local.actions(), "Optimize")
    assert partition_values(optimize) == [{"dt": "2024-01-02"}]
    assert optimize["partitions"][0]["files"] == 2  # the clustered file and the new one
