"""``plan(specs)``: discover sources, observe every table, diff — the whole read side of tablespec.

Nothing here writes. Tables are observed concurrently (each observation is a handful of small
reads that mostly wait on storage), and the result is deterministic whatever finishes first:
tables sorted by name, actions in phase order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from tablespec.config import Config, load_config
from tablespec.errors import DataError, StorageError
from tablespec.model.actions import Action, AddConstraint, LoadSource
from tablespec.model.keys import VERSION as __version__
from tablespec.model.plan import Plan, TablePlan
from tablespec.model.spec import SourceSpec, TableSpec
from tablespec.model.state import SourceFile
from tablespec.planning.diff import diff
from tablespec.planning.exactly_once import app_ids_for
from tablespec.specfiles.loader import select_tables


def plan(
    specs: Iterable[TableSpec],
    *,
    config: Config | None = None,
    tables: Iterable[str] = (),
    workers: int = 8,
) -> Plan:
    """The plan for ``specs`` (only ``tables`` when given), with its id and creation time.

    One table's failure fails the plan: a plan that silently leaves a table out would read as
    "no changes" for it. The error raised is that of the first failing table by name.
    """
    config = config or load_config()
    chosen = sorted(select_tables(tuple(specs), tables), key=lambda s: s.name)
    if len(chosen) <= 1 or workers <= 1:
        table_plans = [plan_table(spec, config) for spec in chosen]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(chosen)), thread_name_prefix="tablespec-plan") as pool:
            futures = [pool.submit(plan_table, spec, config) for spec in chosen]
            for future in futures:
                future.exception()  # wait for all, so no thread is still reading when we raise
            table_plans = [future.result() for future in futures]
    return new_plan(table_plans)


def new_plan(table_plans: Sequence[TablePlan]) -> Plan:
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    ordered = tuple(sorted(table_plans, key=lambda t: t.table))
    return Plan(tables=ordered, tablespec_version=__version__, created_at=created).with_id()


def plan_table(spec: TableSpec, config: Config) -> TablePlan:
    """Discover the spec's source files, observe its table (with the app transactions those files
    need), and diff."""
    from tablespec.planning.observe import observe

    try:
        found = {source.name: _discover(source, config) for source in spec.sources}
    except (StorageError, DataError) as e:
        if spec.name not in e.message:  # a source failed: say which table it belongs to
            e.message = f"table {spec.name}: {e.message}"
        if isinstance(e, StorageError) and not e.table:
            e.table = spec.name
        raise
    source_files = {name: files for name, (files, _) in found.items()}
    app_ids = [app_id for source in spec.sources for app_id in app_ids_for(source, source_files[source.name])]
    state = observe(spec, storage_options=config.storage_options(spec.uri), app_ids=app_ids)
    actions = diff(spec, state, source_files)
    actions = tuple(_with_rows(_with_skipped(a, found), spec, config) for a in actions)
    if state.exists:
        actions = tuple(_with_violations(a, spec, config) for a in actions)
    return TablePlan(
        table=spec.name,
        uri=spec.uri,
        observed_version=state.version if state.exists else None,
        spec_hash=spec.spec_hash,
        actions=actions,
    )


def _discover(source: SourceSpec, config: Config) -> tuple[tuple[SourceFile, ...], tuple[str, ...]]:
    from tablespec.sources.discover import discover_all

    return discover_all(source, storage_options=config.storage_options(source.resolved))


def _with_skipped(action: Action, found: dict[str, tuple[tuple[SourceFile, ...], tuple[str, ...]]]) -> Action:
    """A load lists the files of its folder it will not read (not of the source's format)."""
    if not isinstance(action, LoadSource) or not found[action.source][1]:
        return action
    return dataclasses.replace(action, skipped=found[action.source][1])


def _with_violations(action: Action, spec: TableSpec, config: Config) -> Action:
    """A new CHECK on a table with rows: scan the table (only the columns it reads) for rows that
    break it. delta-rs would refuse the constraint at apply, after the table's other changes were
    committed; the plan refuses it instead, naming the rows (issue 15.1). A CHECK tablespec cannot
    evaluate is left to delta-rs."""
    if not isinstance(action, AddConstraint):
        return action
    import polars as pl

    from tablespec.delta.table import DeltaTable
    from tablespec.model import types as T
    from tablespec.sources.checks import compile_check, describe_values

    stored = {c.name: T.parse_type(c.type) for c in spec.columns}
    check = compile_check(action.name, action.expression, stored)
    if check is None:
        return action
    table = DeltaTable(spec.uri, config.storage_options(spec.uri), name=spec.name)
    try:
        frame = table.read().select(list(check.columns)).filter(~check.expr)
        count = int(frame.select(pl.len()).collect().item())
        if not count:
            return action
        shown = frame.head(3).collect().iter_rows(named=True)
    except Exception:  # noqa: BLE001 - a table tablespec cannot scan this way: delta-rs decides at apply
        return action
    rows = "; ".join(describe_values(row) for row in shown)
    return dataclasses.replace(action, blocked=(
        f"{count} row(s) already in the table break it (false or NULL), e.g. {rows}: delta-rs would refuse "
        "to add it; fix those rows first, or change the constraint"))


def _with_rows(action: Action, spec: TableSpec, config: Config) -> Action:
    """Row counts for the pending files of a parquet source, from their footers (no data read);
    other formats would need a scan, so their rows stay unknown (None)."""
    if not isinstance(action, LoadSource):
        return action
    source = next(s for s in spec.sources if s.name == action.source)
    if source.format != "parquet":
        return action
    from tablespec.sources.discover import parquet_rows

    options: Mapping[str, str] = config.storage_options(source.resolved)
    files = tuple(
        dataclasses.replace(f, rows=parquet_rows(f.file, storage_options=options)) if f.reason != "already loaded" else f
        for f in action.files
    )
    return dataclasses.replace(action, files=files)
