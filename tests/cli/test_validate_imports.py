"""`tablespec validate` and `--help` must not import deltalake, polars or pyarrow (start-up speed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("deltalake", "polars", "pyarrow")
SPECS = Path(__file__).resolve().parents[2] / "specs"


def _imported_after(args: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\n"
        "from tablespec.cli import run\n"
        f"code = run({args!r})\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules)); sys.exit(code)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    marker = out.stdout.strip().splitlines()[-1]
    assert marker.startswith("HEAVY:"), out.stdout
    return {m for m in marker[len("HEAVY:"):].split(",") if m}


def test_validate_imports_nothing_heavy() -> None:
    assert _imported_after(["validate", str(SPECS)], SPECS.parent) == set()


def test_help_imports_nothing_heavy() -> None:
    assert _imported_after(["--help"], SPECS.parent) == set()


def test_schema_imports_nothing_heavy() -> None:
    assert _imported_after(["schema"], SPECS.parent) == set()
