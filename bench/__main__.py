"""Run the benchmark suite: ``python -m bench [--quick] [--only GROUP] [--json FILE]``.

Groups: startup, writes, merges, plan, bookkeeping, upkeep (see BENCHMARKS.md). Data is generated
(deterministically) in a temporary folder, or in ``--workdir``, which is removed afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import harness


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run per heavy case: a smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only these groups (repeatable)")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per case (default 5; 2 with --quick)")
    parser.add_argument("--json", default=str(harness.REPO / "bench" / "results" / "latest.json"),
                        help="where to write the results (default: bench/results/latest.json)")
    parser.add_argument("--workdir", default=None, help="folder to create the temporary data folder in")
    args = parser.parse_args()
    repeat = args.repeat or (2 if args.quick else 5)

    from bench import startup, suite_cases

    groups = {"startup": lambda work: startup.cases(work, repeat=repeat)}
    groups.update(suite_cases.groups(quick=args.quick, repeat=repeat))
    unknown = sorted(set(args.only) - set(groups))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(groups)}")
    results: list[harness.Result] = []
    loads: dict[str, list[float]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tablespec-bench-", dir=args.workdir) as tmp:
        for name, run in groups.items():
            if args.only and name not in args.only:
                continue
            before = harness.load_average()
            print(f"running {name} ... (load average {before})", flush=True)
            group_start = time.perf_counter()
            found = run(Path(tmp))
            after = harness.load_average()
            loads[name] = [before, after]
            for result in found:
                result.extra.setdefault("load_average", [before, after])
            print(f"  {name}: {len(found)} cases in {time.perf_counter() - group_start:.0f} s "
                  f"(load average {after})", flush=True)  # fmt: skip
            results.extend(found)
    harness.attach_ratios(results)
    print()
    print(harness.table(results))
    print("\nload average (1 min) before/after each group: "
          + ", ".join(f"{g} {a}/{b}" for g, (a, b) in loads.items()))  # fmt: skip
    meta = harness.machine() | {"quick": args.quick, "repeat": repeat, "load_average": loads,
                                "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    harness.write_json(results, Path(args.json), meta)
    print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
