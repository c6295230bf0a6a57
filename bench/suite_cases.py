"""The benchmark groups beyond start-up, with their sizes for a full and a ``--quick`` run.

``groups(quick=, repeat=)`` is what ``python -m bench`` runs: {group name: callable(workdir) ->
list[Result]}. Every case has one untimed warm-up run, then ``repeat`` timed runs (the cases of a
comparison interleaved). The groups that run each case in a fresh worker process (writes, merges)
do at most ``heavy_repeat`` timed runs: one in a ``--quick`` run, whose tiny sizes only prove
that every case still runs (the CI smoke test) — no number from them means anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Result


@dataclass(frozen=True)
class Sizes:
    rows: int  # rows of the written file and of the merge target (8 columns)
    merge_rows: int  # rows of a merge source, half of them new keys
    big_csv_rows: int  # the > 2 GB CSV for peak memory (0: skipped)
    tables: int  # tables of the no-change plan
    commits: int  # commits of each of those tables
    big_commits: int  # commits of the one big table (deltalake checkpoints every 100)
    files: int  # loaded files of the bookkeeping table
    files_per_commit: int
    heavy_repeat: int  # timed runs of the worker cases
    heavy_warmup: int
    compact_files: int = 1_000  # small files the upkeep group compacts ...
    compact_partitions: int = 10  # ... spread over this many partitions
    upkeep_plan_files: int = 10_000  # files of the table whose optimize action is planned
    upkeep_plan_partitions: int = 100


FULL = Sizes(rows=5_000_000, merge_rows=1_000_000, big_csv_rows=24_000_000, tables=100, commits=50,
             big_commits=2_000, files=10_000, files_per_commit=500, heavy_repeat=5, heavy_warmup=1)  # fmt: skip
QUICK = Sizes(rows=20_000, merge_rows=4_000, big_csv_rows=0, tables=10, commits=5,
              big_commits=150, files=300, files_per_commit=100, heavy_repeat=1, heavy_warmup=1,
              compact_files=40, compact_partitions=4, upkeep_plan_files=200, upkeep_plan_partitions=10)  # fmt: skip


def groups(*, quick: bool, repeat: int) -> dict[str, Callable[[Path], list[Result]]]:
    from bench import bookkeeping, merges, planning, upkeep, writes

    s = QUICK if quick else FULL
    heavy = {"repeat": min(repeat, s.heavy_repeat), "warmup": s.heavy_warmup}
    return {
        "writes": lambda work: writes.cases(work, rows=s.rows, big_csv_rows=s.big_csv_rows, **heavy),
        "merges": lambda work: merges.cases(work, rows=s.rows, merge_rows=s.merge_rows, **heavy),
        "plan": lambda work: planning.cases(
            work, tables=s.tables, commits=s.commits, big_commits=s.big_commits, repeat=repeat
        ),
        "bookkeeping": lambda work: bookkeeping.cases(work, files=s.files, batch=s.files_per_commit, repeat=repeat),
        "upkeep": lambda work: upkeep.cases(work, compact_files=s.compact_files, compact_partitions=s.compact_partitions,
                                            plan_files=s.upkeep_plan_files, plan_partitions=s.upkeep_plan_partitions,
                                            repeat=repeat),
    }
