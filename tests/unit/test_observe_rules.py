"""The pure rules inside observe: which files a vacuum may not take, retentions, expired txns."""

from __future__ import annotations

from tablespec.delta.log import AppTransaction
from tablespec.model.spec import RetentionSpec
from tablespec.planning.observe import (
    live_transactions,
    log_retention_seconds,
    time_travel_start,
    unsafe_files,
    vacuum_retention_seconds,
)

DAY_MS = 86_400_000
NOW = 100 * DAY_MS


def test_a_file_is_unsafe_exactly_when_it_was_removed_inside_the_time_travel_window() -> None:
    start = time_travel_start(NOW, 30 * 86400, oldest_readable_ms=None)
    assert start == NOW - 30 * DAY_MS
    removed = {
        "a.parquet": NOW - 40 * DAY_MS,  # removed before the window: no reachable version needs it
        "b.parquet": NOW - 10 * DAY_MS,  # the version before its removal is still reachable
        "dt=2026-01-01/c d.parquet": NOW - 29 * DAY_MS,
        "e.parquet": None,  # no deletionTimestamp: vacuum treats it as ancient
    }
    files = ["a.parquet", "b.parquet", "dt=2026-01-01/c%20d.parquet", "e.parquet", "orphan.parquet"]
    assert unsafe_files(files, removed, start) == 2


def test_the_window_never_starts_before_the_oldest_version_the_log_can_still_build() -> None:
    # log cleanup left versions from 5 days ago on: a file removed 10 days ago is in no reachable version
    start = time_travel_start(NOW, 30 * 86400, oldest_readable_ms=NOW - 5 * DAY_MS)
    assert start == NOW - 5 * DAY_MS
    assert unsafe_files(["b.parquet"], {"b.parquet": NOW - 10 * DAY_MS}, start) == 0


def test_vacuum_retention_is_what_the_same_apply_sets() -> None:
    """Issue 13.4: the spec's deleted_files (apply sets the property to it before vacuuming), zero
    included; the table's own property, else Delta's 7 days, only when the spec sets none."""
    week = 7 * 86400
    props = {"delta.deletedFileRetentionDuration": "interval 2 weeks"}
    assert vacuum_retention_seconds(RetentionSpec(deleted_files=14 * 86400), {}) == 14 * 86400
    assert vacuum_retention_seconds(RetentionSpec(deleted_files=86400), {}) == 86400
    assert vacuum_retention_seconds(RetentionSpec(deleted_files=week), props) == week  # lowered: converges at once
    assert vacuum_retention_seconds(RetentionSpec(deleted_files=0, duration_check=False), props) == 0
    assert vacuum_retention_seconds(RetentionSpec(), props) == 14 * 86400
    assert vacuum_retention_seconds(RetentionSpec(), {"delta.deletedFileRetentionDuration": "garbage"}) == week


def test_log_retention_is_the_longer_of_table_and_spec() -> None:
    assert log_retention_seconds(None, {}) == 30 * 86400
    assert log_retention_seconds(RetentionSpec(log=60 * 86400), {}) == 60 * 86400
    assert log_retention_seconds(RetentionSpec(log=86400), {"delta.logRetentionDuration": "interval 10 days"}) == 10 * 86400


def test_expired_app_transactions_count_as_absent() -> None:
    txns = {
        "old": AppTransaction("old", 1, last_updated=NOW - 10 * DAY_MS),
        "new": AppTransaction("new", 2, last_updated=NOW - DAY_MS),
        "unstamped": AppTransaction("unstamped", 3),
    }
    ids = ["old", "new", "unstamped", "missing"]
    assert live_transactions(txns, ids, {}, now_ms=NOW) == {"old": 1, "new": 2, "unstamped": 3}
    props = {"delta.setTransactionRetentionDuration": "interval 7 days"}
    assert live_transactions(txns, ids, props, now_ms=NOW) == {"new": 2, "unstamped": 3}
