"""loadplan is pure: app ids in, pending files out. No storage, no deltalake."""

from __future__ import annotations

import pytest

from tablespec.model.actions import LoadSource, PendingFile
from tablespec.model.spec import MergeSpec, SourceSpec
from tablespec.model.state import SourceFile
from tablespec.planning import exactly_once as loadplan


def source(mode: str = "append", resolved: str = "/specs/../data/orders/*.csv", name: str = "daily") -> SourceSpec:
    merge = MergeSpec(keys=("id",)) if mode == "merge" else None
    return SourceSpec(name=name, path="x", resolved=resolved, format="csv", mode=mode, merge=merge)  # type: ignore[arg-type]


def f(name: str, digest: str, size: int = 10) -> SourceFile:
    return SourceFile(path=f"/specs/../data/orders/{name}", size=size, digest=digest)


def loaded(src: SourceSpec, *files: SourceFile) -> dict[str, int]:
    """The app transactions a load of ``files`` commits."""
    out: dict[str, int] = {}
    for file in files:
        out[loadplan.content_app_id(src, file.digest)] = 1
        out[loadplan.path_app_id(src, file.path)] = loadplan.digest_version(file.digest)
    return out


def reasons(action: LoadSource | None) -> list[tuple[str, str]]:
    assert action is not None
    return [(p.file.path.rsplit("/", 1)[1], p.reason) for p in action.files]


def test_app_ids_are_namespaced_by_source_and_stable() -> None:
    src = source()
    assert loadplan.content_app_id(src, "abc") == "tablespec/daily/content/abc"
    assert loadplan.path_app_id(src, "/specs/../data/orders/sub/a.csv") == "tablespec/daily/path/sub/a.csv"
    assert loadplan.overwrite_app_id(src) == "tablespec/daily/overwrite"
    assert loadplan.seed_app_id(src) == "tablespec/daily/seed"


def test_path_key_is_relative_to_the_fixed_part_of_the_pattern() -> None:
    # the same specs checked out elsewhere recognise the files they loaded
    here = source(resolved="/home/a/repo/data/*.csv")
    there = source(resolved="/ci/work/repo/data/*.csv")
    assert loadplan.path_key(here, "/home/a/repo/data/x.csv") == loadplan.path_key(there, "/ci/work/repo/data/x.csv")
    assert loadplan.path_key(source(resolved="s3://b/in/**/*.csv"), "s3://b/in/2026/01/x.csv") == "2026/01/x.csv"
    assert loadplan.path_key(source(resolved="/data/one.csv"), "/data/one.csv") == "one.csv"


def test_digest_version_is_a_positive_long() -> None:
    for digest in ("", "abc", "etag:9b2cf535f27731c974343645a3985328:12", "f" * 64):
        v = loadplan.digest_version(digest)
        assert 0 <= v < 2**63
    assert loadplan.digest_version("a") != loadplan.digest_version("b")


def test_app_ids_for_each_mode() -> None:
    files = [f("a.csv", "1"), f("b.csv", "2")]
    assert loadplan.app_ids_for(source("overwrite"), files) == ["tablespec/daily/overwrite"]
    assert loadplan.app_ids_for(source("create"), files) == ["tablespec/daily/seed"]
    ids = loadplan.app_ids_for(source("merge"), files)
    assert ids == ["tablespec/daily/content/1", "tablespec/daily/path/a.csv",
                   "tablespec/daily/content/2", "tablespec/daily/path/b.csv"]  # fmt: skip


@pytest.mark.parametrize("mode", ["append", "merge"])
def test_new_changed_and_already_loaded(mode: str) -> None:
    src = source(mode)
    a, b, c = f("a.csv", "1"), f("b.csv", "2"), f("c.csv", "3")
    versions = loaded(src, a, b)
    b_edited = f("b.csv", "2-edited")
    action = loadplan.plan_load("t", src, [c, b_edited, a], versions, table_exists=True)
    assert reasons(action) == [("a.csv", "already loaded"), ("b.csv", "changed"), ("c.csv", "new")]
    assert action is not None and [p.file.path[-5:] for p in action.pending] == ["b.csv", "c.csv"]
    assert action.mode == mode and action.table == "t" and action.source == "daily"


def test_a_converged_source_plans_nothing() -> None:
    src = source()
    a, b = f("a.csv", "1"), f("b.csv", "2")
    assert loadplan.plan_load("t", src, [a, b], loaded(src, a, b), table_exists=True) is None
    assert loadplan.plan_load("t", src, [], {}, table_exists=True) is None


def test_a_renamed_file_with_loaded_content_is_not_loaded_again() -> None:
    src = source()
    a = f("a.csv", "1")
    renamed = f("a-renamed.csv", "1")
    assert loadplan.plan_load("t", src, [renamed], loaded(src, a), table_exists=True) is None


def test_two_files_with_the_same_bytes_load_once() -> None:
    src = source()
    action = loadplan.plan_load("t", src, [f("a.csv", "1"), f("b.csv", "1")], {}, table_exists=True)
    assert reasons(action) == [("a.csv", "new"), ("b.csv", "already loaded")]


def test_missing_ids_may_be_given_as_none() -> None:
    src = source()
    a = f("a.csv", "1")
    versions = {loadplan.content_app_id(src, "1"): None, loadplan.path_app_id(src, a.path): None}
    assert reasons(loadplan.plan_load("t", src, [a], versions, table_exists=True)) == [("a.csv", "new")]


def test_overwrite_reloads_when_any_file_changed() -> None:
    src = source("overwrite")
    files = [f("a.csv", "1"), f("b.csv", "2")]
    first = loadplan.plan_load("t", src, files, {}, table_exists=True)
    assert reasons(first) == [("a.csv", "new"), ("b.csv", "new")]
    done = {loadplan.overwrite_app_id(src): loadplan.digest_version(loadplan.combined_digest(files))}
    assert loadplan.plan_load("t", src, list(reversed(files)), done, table_exists=True) is None
    edited = [files[0], f("b.csv", "2-edited")]
    assert reasons(loadplan.plan_load("t", src, edited, done, table_exists=True)) == [
        ("a.csv", "changed"), ("b.csv", "changed")]  # fmt: skip
    added = [*files, f("c.csv", "3")]
    assert loadplan.plan_load("t", src, added, done, table_exists=True) is not None


def test_create_loads_only_into_a_table_being_created_or_awaiting_its_seed() -> None:
    src = source("create")
    files = [f("a.csv", "1")]
    seed = loadplan.seed_app_id(src)
    assert reasons(loadplan.plan_load("t", src, files, {}, table_exists=False)) == [("a.csv", "new")]
    # the create commit wrote seed=0, the seed load has not happened yet (crash in between)
    assert reasons(loadplan.plan_load("t", src, files, {seed: 0}, table_exists=True)) == [("a.csv", "new")]
    assert loadplan.plan_load("t", src, files, {seed: 1}, table_exists=True) is None
    # an existing table tablespec did not create (no marker): create sources never load
    assert loadplan.plan_load("t", src, files, {}, table_exists=True) is None


def test_rows_ride_along_when_known() -> None:
    """Row counts (parquet footers, filled in by the planner) sum only when every file has one."""
    a, b = f("a.csv", "1"), f("b.csv", "2")
    action = LoadSource(table="t", source="daily", mode="append",
                        files=(PendingFile(a, "new", 7), PendingFile(b, "new")))
    assert [p.rows for p in action.files] == [7, None]
    assert action.pending_rows is None
    full = LoadSource(table="t", source="daily", mode="append",
                      files=(PendingFile(a, "new", 7), PendingFile(b, "new", 3)))
    assert full.pending_rows == 10 and full.pending_bytes == 20


def test_plans_compare_equal() -> None:
    src = source()
    files = [f("a.csv", "1")]
    assert loadplan.plan_load("t", src, files, {}, table_exists=True) == LoadSource(
        table="t", source="daily", mode="append", files=(PendingFile(files[0], "new"),)
    )

