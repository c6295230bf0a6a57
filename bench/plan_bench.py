"""The plan benchmarks are now the ``plan`` group of ``python -m bench`` (see BENCHMARKS.md and
``bench/planning.py``). This entry point only delegates:

    python bench/plan_bench.py [--quick] [--json FILE]   # = python -m bench --only plan ...
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository root, not bench/
    from bench.__main__ import main

    sys.argv[1:1] = ["--only", "plan"]
    raise SystemExit(main())
