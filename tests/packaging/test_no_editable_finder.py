"""The CLI must work when the package is imported without setuptools' editable finder.

An editable install imports ``importlib.util`` as a side effect, which once hid a bare
``import importlib`` followed by ``importlib.util.find_spec``: every command failed from a built
wheel. Here the interpreter starts with ``-S`` (no site, so no ``.pth`` finder) and only the
source tree and site-packages on ``sys.path``, as a wheel install sees them.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_bare(args: list[str]) -> subprocess.CompletedProcess[str]:
    paths = [str(ROOT), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    code = f"import sys; sys.path[:0] = {paths!r}\nfrom tablespec.cli import run\nsys.exit(run({args!r}))\n"
    return subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_validate_runs_without_editable_finder() -> None:
    out = _run_bare(["validate", str(ROOT / "specs")])
    assert out.returncode == 0, out.stderr
    assert "Valid" in out.stdout


def test_help_lists_every_command_without_editable_finder() -> None:
    out = _run_bare(["--help"])
    assert out.returncode == 0, out.stderr
    for command in ("validate", "plan", "apply", "show", "import"):
        assert command in out.stdout
