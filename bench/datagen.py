"""Seeded data and specs shared by the write and merge groups.

Rows are a pure function of their ``id`` (no random generator, so every run and every machine
builds the same bytes): 8 columns of mixed types, ``dt`` cycling over 30 days.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# (name, spec type, nullable): the same columns for the data files, the specs and the raw baselines
COLUMNS = [("id", "long", False), ("k", "integer", True), ("x", "double", True), ("y", "double", True),
           ("s", "string", True), ("t", "timestamp", True), ("dt", "date", True), ("flag", "boolean", True)]  # fmt: skip
DAYS = 30


def frame(start: int, count: int, *, days: list[int] | None = None) -> Any:
    """A polars DataFrame of ``count`` rows with ids from ``start``; ``dt`` cycles over 30 days
    (or over ``days``)."""
    import polars as pl

    i = pl.int_range(start, start + count, dtype=pl.Int64)
    day = (i % DAYS) if days is None else pl.lit(pl.Series(days)).gather(i % len(days))
    return pl.select(
        id=i, k=(i % 1000).cast(pl.Int32), x=i.cast(pl.Float64) * 0.5, y=i.cast(pl.Float64).sin(),
        s=pl.format("name-{}", i % 100_000), t=pl.datetime(2026, 1, 1, time_zone="UTC") + pl.duration(seconds=i),
        dt=pl.date(2026, 1, 1) + pl.duration(days=day), flag=(i % 2) == 0,
    )  # fmt: skip


def write_csv(path: Path, rows: int, *, chunk: int = 2_000_000) -> None:
    """``rows`` rows as CSV, chunk by chunk: generating a > 2 GB file must not need 2 GB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for start in range(0, rows, chunk):
            frame(start, min(chunk, rows - start)).write_csv(out, include_header=start == 0)


def arrow_schema() -> Any:
    """The table's arrow schema as a raw baseline types it (what the spec's types map to)."""
    import pyarrow as pa

    types = {"long": pa.int64(), "integer": pa.int32(), "double": pa.float64(), "string": pa.string(),
             "timestamp": pa.timestamp("us", tz="UTC"), "date": pa.date32(), "boolean": pa.bool_()}  # fmt: skip
    return pa.schema([pa.field(name, types[kind], nullable) for name, kind, nullable in COLUMNS])


def polars_schema() -> Any:
    """The same types as polars names them (for ``read_csv(schema=...)``)."""
    import polars as pl

    types = {"long": pl.Int64, "integer": pl.Int32, "double": pl.Float64, "string": pl.String,
             "timestamp": pl.Datetime("us", "UTC"), "date": pl.Date, "boolean": pl.Boolean}  # fmt: skip
    return {name: types[kind] for name, kind, _ in COLUMNS}


def project(root: Path) -> Path:
    """A tablespec project folder (``tablespec.yaml``, ``specs/``); returns the specs folder."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "tablespec.yaml").write_text("warehouse: warehouse\n", encoding="utf-8")
    (root / "specs").mkdir(exist_ok=True)
    return root / "specs"


def write_spec(
    path: Path, *, name: str, location: Path | str, source: Path | None = None, mode: str = "append",
    partitioned: bool = False, keys: tuple[str, ...] = ("id",),
) -> Path:  # fmt: skip
    """A spec for the benchmark table, with at most one source (absolute path)."""
    lines = ["apiVersion: tablespec/v1", "kind: Table", f"name: {name}", f"location: {location}", "columns:"]
    lines += [f"  - {{name: {n}, type: {t}, nullable: {'true' if nl else 'false'}}}" for n, t, nl in COLUMNS]
    if partitioned:
        lines.append("partitioned_by: [dt]")
    if source is not None:
        lines += ["sources:", "  - name: bench", f"    path: {source}", f"    mode: {mode}"]
        if mode == "merge":
            lines.append(f"    merge: {{keys: [{', '.join(keys)}]}}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def apply_spec(spec: Path) -> dict[str, Any]:
    """``tablespec.apply`` of one spec file, as the CLI would (config from the spec's project);
    returns what the loads did, and raises if the table failed or was refused."""
    import tablespec
    from tablespec.config import load_config

    config = load_config(start=spec.parent, env={})
    report = tablespec.apply([spec], config=config)
    [table] = report.tables
    if not report.ok:
        raise RuntimeError(f"apply of {spec} {table.status}: {table.error or table.refused}")
    return {
        "rows": sum(load.rows_read for load in table.loads),
        "inserted": sum(load.inserted for load in table.loads),
        "updated": sum(load.updated for load in table.loads),
        "version": table.version_after,
        "uri": table.uri,
    }
