"""Timing and memory measurement shared by every benchmark case.

Each case runs once to warm up, then ``repeat`` times; we report median, min and max, and the
ratio of the median to the baseline case's median measured in the same run. Peak memory is the
VmHWM of a fresh worker process (``ru_maxrss`` of children is unreliable here), so memory cases
run their body in a subprocess.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Result:
    group: str
    case: str
    times: list[float]
    baseline: str | None = None
    ratio: float | None = None
    peak_mb: float | None = None
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def measure(fn: Callable[[], object], *, repeat: int, warmup: int = 1, setup: Callable[[], object] | None = None) -> list[float]:
    """Wall-clock seconds of ``fn`` after ``warmup`` untimed runs; ``setup`` runs untimed before each."""
    times = []
    for i in range(warmup + repeat):
        if setup:
            setup()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return times


def run_command(argv: list[str], *, cwd: str | Path | None = None, env: dict[str, str] | None = None) -> float:
    """Seconds for one subprocess run; raises if it fails."""
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def run_worker(code: str, *, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> tuple[float, float]:
    """Run ``code`` in a fresh Python; return (seconds it reports, its peak RSS in MB from VmHWM).

    The snippet must assign the measured seconds to ``elapsed``; the worker reads its own
    /proc/self/status at the end, so the peak covers only this case.
    """
    wrapper = (
        "import time, json\n"
        + code
        + "\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps({'elapsed': elapsed, 'hwm_kb': int(hwm)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], env=env, cwd=cwd, check=True, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["elapsed"]), data["hwm_kb"] / 1024


def attach_ratios(results: list[Result]) -> None:
    by_key = {(r.group, r.case): r for r in results}
    for r in results:
        if r.baseline and (r.group, r.baseline) in by_key:
            r.ratio = r.median / by_key[(r.group, r.baseline)].median


def table(results: list[Result]) -> str:
    header = f"| group | case | median s | min s | max s | ratio | vs | peak MB | note |\n|---|---|---:|---:|---:|---:|---|---:|---|"
    rows = []
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else ""
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else ""
        rows.append(
            f"| {r.group} | {r.case} | {r.median:.3f} | {min(r.times):.3f} | {max(r.times):.3f} | {ratio} | "
            f"{r.baseline or ''} | {peak} | {r.note} |"
        )
    return "\n".join([header, *rows])


def write_json(results: list[Result], path: Path, meta: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "meta": meta,
        "results": [asdict(r) | {"median": r.median} for r in results],
    }
    path.write_text(json.dumps(data, indent=2))


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}
