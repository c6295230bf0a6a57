"""What ``tablespec show`` and ``tablespec history`` print: plain text (and markdown) from the
inspection models of tablespec.model.tableinfo. The CLI only echoes these lines."""

from __future__ import annotations

from collections.abc import Sequence

from tablespec.model.tableinfo import Commit, Health, SourceLoads, TableInfo
from tablespec.render.common import human_bytes, partition_label, plural


def render_show(info: TableInfo) -> list[str]:
    lines = [f"Table {info.name or info.uri}"]
    stamps = ", ".join(x for x in (f"created {info.created_at}" if info.created_at else "",
                                   f"last commit {info.last_commit_at}" if info.last_commit_at else "") if x)
    features = sorted(set(info.reader_features) | set(info.writer_features))
    rows = "unknown" if info.num_records is None else f"{info.num_records:,}"
    log = [f"oldest readable version {info.earliest_version}"]
    if info.checkpoint_version is not None:
        log.insert(0, f"checkpoint at version {info.checkpoint_version}")
    facts = [
        ("location", info.uri),
        ("version", f"{info.version}" + (f" ({stamps})" if stamps else "")),
        ("description", info.description or "-"),
        ("protocol", f"reader {info.min_reader_version}, writer {info.min_writer_version}"
                     + (f"; features: {', '.join(features)}" if features else "")),
        ("files", f"{info.num_files:,} file(s), {human_bytes(info.size_bytes)}, {rows} row(s) (from file statistics)"
                  + (f", {info.num_partitions} partition(s)" if info.partitioned_by else "")),
        ("log", "; ".join(log)),
    ]
    if info.first_engine:
        facts.append(("created by", info.first_engine))
    width = max(len(k) for k, _ in facts) + 1
    lines += [f"  {(k + ':').ljust(width)} {v}" for k, v in facts]
    lines += ["", "Columns:"]
    header = ["name", "type", "nullable", "comment"]
    body = [[c.name, c.type if c.supported else f"{c.type} (no tablespec type)", "yes" if c.nullable else "no",
             c.comment or ""] for c in info.columns]
    lines += ["  " + line for line in _table([header, *body])]
    for c in info.columns:
        if c.metadata:
            lines.append(f"  {c.name}: " + ", ".join(f"{k}={v}" for k, v in c.metadata))
    lines += ["", "Partitioned by: " + (", ".join(info.partitioned_by) or "(not partitioned)")]
    lines += ["", "Properties:" + ("" if info.properties else " (none)")]
    lines += [f"  {k} = {v}" for k, v in info.properties]
    lines += ["", "Constraints:" + ("" if info.constraints else " (none)")]
    lines += [f"  {k}: {v}" for k, v in info.constraints]
    lines += ["", "Loads recorded (app transactions tablespec/<source>/...):" + ("" if info.loads else " (none)")]
    for load in info.loads:
        lines.append(f"  {load.source}: " + describe_load(load))
        if load.paths:
            lines.append("    paths: " + ", ".join(load.paths))
    if info.other_app_transactions:
        lines += ["", "Other app transactions:"]
        lines += [f"  {app}: {version}" for app, version in info.other_app_transactions]
    if info.health is not None:
        lines += ["", *render_health(info.health)]
    return lines


HEALTH_PARTITIONS = 20  # partitions listed (those with the most small files); the rest are counted


def render_health(health: Health) -> list[str]:
    """The health section: small files per partition, log to replay, how far time travel reaches."""
    lines = [f"Health (small: files below {human_bytes(health.small_below)}, half the target file size):"]
    shown = sorted(health.partitions, key=lambda p: -p.small_files)[:HEALTH_PARTITIONS]
    for p in sorted(shown, key=lambda p: [(c, v or "") for c, v in p.values]):
        lines.append(f"  {partition_label(p.values)}: {plural(p.files, 'file')}, {human_bytes(p.bytes)}, "
                     f"{p.small_files} small")
    if len(health.partitions) > len(shown):
        lines.append(f"  ... {plural(len(health.partitions) - len(shown), 'more partition')} (with fewer small files)")
    since = f"{health.commits_since_checkpoint} log entr{'y' if health.commits_since_checkpoint == 1 else 'ies'}"
    lines.append(f"  log: {since} since the last checkpoint (version {health.last_checkpoint})"
                 if health.last_checkpoint is not None else f"  log: {since}, no checkpoint yet")
    lines.append(f"  oldest reachable version: {health.oldest_version}")
    return lines


def describe_load(load: SourceLoads) -> str:
    parts = []
    if load.files:
        parts.append(f"{load.files} file content(s) loaded")
    if load.overwrite:
        parts.append("overwrote the table")
    if load.seeded is not None:
        parts.append("seed data loaded" if load.seeded else "table created, seed not yet loaded")
    if not parts:
        parts.append("nothing loaded yet")
    if load.last_load_version is not None:
        parts.append(f"last at version {load.last_load_version}")
    return "; ".join(parts)


def render_history(commits: Sequence[Commit], title: str, *, markdown: bool = False) -> list[str]:
    """``tablespec history``: one row per commit, newest first; a markdown table for PR comments."""
    rows = [["version", "timestamp", "operation", "rows", "files", "by"]]
    rows += [[str(c.version), c.timestamp or "?", c.operation or "?", _counts(c.rows_added, c.rows_updated,
             c.rows_removed), _counts(c.files_added, None, c.files_removed), _by(c)] for c in commits]
    if not markdown:
        return _table(rows)
    cells = [[cell.replace("|", "\\|") for cell in row] for row in rows]
    lines = [f"### History of `{title}`", "", "| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(cells[0])]
    return lines + ["| " + " | ".join(row) + " |" for row in cells[1:]]


def _counts(added: int | None, changed: int | None, removed: int | None) -> str:
    parts = [f"+{added}" if added is not None else "", f"~{changed}" if changed is not None else "",
             f"-{removed}" if removed is not None else ""]
    return " ".join(p for p in parts if p) or "-"


def _by(commit: Commit) -> str:
    who = [x for x in (commit.engine, commit.user) if x]
    ts = commit.tablespec_dict
    if ts.get("tablespec.plan_id"):
        who.append(f"plan {ts['tablespec.plan_id']}")
    if ts.get("tablespec.spec_hash"):
        who.append(f"spec {ts['tablespec.spec_hash']}")
    return ", ".join(who) or "-"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
