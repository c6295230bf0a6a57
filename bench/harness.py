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

REPO = Path(__file__).resolve().parents[1]


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


def run_worker(code: str, *, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> Worker:
    """Run ``code`` in a fresh Python; return the seconds it reports and its peak RSS (VmHWM).

    The snippet must assign the measured seconds to ``elapsed`` and may assign a JSON-able dict
    to ``info`` (rows written, merge counts: proof the case did what it claims). The worker reads
    its own /proc/self/status at the end, so the peak covers only this case. The repository root
    is put on ``PYTHONPATH`` so the snippet can import ``bench``.
    """
    wrapper = (
        "import time, json\n"
        "info = {}\n"
        + code
        + "\nhwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(json.dumps({'elapsed': elapsed, 'hwm_kb': int(hwm), 'info': info}))\n"
    )
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    out = subprocess.run([sys.executable, "-c", wrapper], env=env, cwd=cwd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark worker failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return Worker(float(data["elapsed"]), data["hwm_kb"] / 1024, data["info"])


@dataclass
class Worker:
    """One worker run: measured seconds, peak resident memory in MB, what the case reported."""

    seconds: float
    peak_mb: float
    info: dict[str, object]


def interleaved(
    cases: dict[str, Callable[[], float]], *, repeat: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run each case ``warmup`` + ``repeat`` times, round-robin, so a busy machine (other jobs on
    two cores) slows every case of a comparison alike. Each callable returns its own seconds
    (a worker measures itself, leaving process start-up and untimed setup out)."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(warmup + repeat):
        for name, run in cases.items():
            seconds = run()
            if i >= warmup:
                times[name].append(seconds)
    return times


@dataclass
class WorkerCase:
    """A case whose body runs in a fresh worker process: ``target`` (``"module:function"``) is
    called with ``kwargs`` and returns ``(seconds, info)``. ``setup`` runs untimed before each run
    (a fresh copy of the target table, say)."""

    name: str
    target: str
    kwargs: dict[str, object]
    setup: Callable[[], object] | None = None
    baseline: str | None = None
    note: str = ""
    runs: list[Worker] = field(default_factory=list)

    def __call__(self) -> float:
        if self.setup:
            self.setup()
        module, function = self.target.split(":")
        code = f"from {module} import {function} as _case\nelapsed, info = _case(**{self.kwargs!r})\n"
        run = run_worker(code)
        self.runs.append(run)
        return run.seconds


def run_worker_cases(group: str, cases: list[WorkerCase], *, repeat: int, warmup: int) -> list[Result]:
    """Interleaved runs of worker cases; each Result keeps the highest peak of its timed runs and
    the info its last run reported."""
    times = interleaved({c.name: c for c in cases}, repeat=repeat, warmup=warmup)
    results = []
    for case in cases:
        timed = case.runs[warmup:]
        results.append(Result(group, case.name, times[case.name], baseline=case.baseline, note=case.note,
                              peak_mb=max(r.peak_mb for r in timed), extra=dict(timed[-1].info)))  # fmt: skip
    return results


def attach_ratios(results: list[Result]) -> None:
    by_key = {(r.group, r.case): r for r in results}
    for r in results:
        if r.baseline and (r.group, r.baseline) in by_key:
            r.ratio = r.median / by_key[(r.group, r.baseline)].median


def table(results: list[Result]) -> str:
    header = "| group | case | median s | min s | max s | ratio | vs | peak MB | note |\n|---|---|---:|---:|---:|---:|---|---:|---|"
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


def load_average() -> float:
    """The 1-minute load average: other engineers' tests share these two cores, so every group
    records the load it ran under."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, object]:
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "machine": platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("tablespec", "deltalake", "pyarrow", "polars"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "?"
    return found
