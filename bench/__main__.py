"""Run the benchmark suite: ``python -m bench [--quick] [--only GROUP] [--json FILE]``."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench import harness


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a one-minute smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only these groups (repeatable)")
    parser.add_argument("--json", default="bench/results/latest.json", help="where to write the results")
    parser.add_argument("--workdir", default=None, help="folder for generated data (default: a temp dir)")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5

    from bench import startup

    groups = {"startup": lambda work: startup.cases(work, repeat=repeat)}
    try:
        from bench import suite_cases

        groups.update(suite_cases.groups(quick=args.quick, repeat=repeat))
    except ImportError:
        pass
    results: list[harness.Result] = []
    with tempfile.TemporaryDirectory(prefix="tablespec-bench-", dir=args.workdir) as tmp:
        for name, run in groups.items():
            if args.only and name not in args.only:
                continue
            print(f"running {name} ...", flush=True)
            results.extend(run(Path(tmp)))
    harness.attach_ratios(results)
    print(harness.table(results))
    harness.write_json(results, Path(args.json), harness.machine() | {"quick": args.quick})
    print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
