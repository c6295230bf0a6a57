"""The load benchmarks are now the ``writes`` and ``merges`` groups of ``python -m bench`` (see
BENCHMARKS.md, ``bench/writes.py`` and ``bench/merges.py``; the > 2 GB CSV memory case is part of
``writes`` in a full run). This entry point only delegates:

    python bench/loads_bench.py [--quick] [--json FILE]   # = python -m bench --only writes --only merges ...
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository root, not bench/
    from bench.__main__ import main

    sys.argv[1:1] = ["--only", "writes", "--only", "merges"]
    raise SystemExit(main())
