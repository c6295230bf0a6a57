"""Start-up cases: `tablespec validate` on 100 specs and `tablespec --help`, against `python -c pass`."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench.harness import Result, measure, run_command

SPEC = """\
apiVersion: tablespec/v1
kind: Table
name: bench.t{i:03d}
location: bench/t{i:03d}
description: generated table {i}
columns:
  - {{name: id, type: long, nullable: false, comment: key}}
  - {{name: amount, type: "decimal(18,2)"}}
  - {{name: tags, type: "array<string>"}}
  - {{name: attrs, type: "map<string,struct<a:int,b:string>>"}}
  - {{name: dt, type: date}}
partitioned_by: [dt]
properties: {{delta.enableChangeDataFeed: "true"}}
constraints: {{positive: amount >= 0}}
retention: {{deleted_files: 7 days, log: 30 days}}
sources:
  - name: daily
    path: data/t{i:03d}/*.parquet
    mode: merge
    merge: {{keys: [id]}}
"""


def write_specs(folder: Path, count: int = 100) -> Path:
    specs = folder / "specs"
    if specs.exists():
        shutil.rmtree(specs)
    specs.mkdir(parents=True)
    for i in range(count):
        (specs / f"t{i:03d}.yaml").write_text(SPEC.format(i=i))
    return specs


def cases(work: Path, *, repeat: int) -> list[Result]:
    specs = write_specs(work / "startup")
    exe = str(Path(sys.executable).parent / "tablespec")
    python = [sys.executable, "-c", "pass"]
    results = [
        Result("startup", "python -c pass", measure(lambda: run_command(python), repeat=repeat)),
        Result("startup", "tablespec --help", measure(lambda: run_command([exe, "--help"]), repeat=repeat),
               baseline="python -c pass"),
        Result("startup", "tablespec validate (100 specs)",
               measure(lambda: run_command([exe, "validate", str(specs)], cwd=work / "startup"), repeat=repeat),
               baseline="python -c pass", note="goal < 0.3 s"),
    ]
    return results
