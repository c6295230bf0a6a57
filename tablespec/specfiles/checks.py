"""Meaning checks on one spec document, beyond what the JSON Schema can say.

They run on the raw document (with positions) so each problem points at its YAML node, and they
are defensive: a part the schema already rejected for its shape is skipped here, not reported twice.
"""

from __future__ import annotations

import os
from typing import Any

from tablespec.config import known_schemes_text, unknown_scheme
from tablespec.errors import Problem
from tablespec.model.durations import parse_duration
from tablespec.model.features import guarded_feature
from tablespec.model.keys import CHECKPOINT_INTERVAL
from tablespec.model.properties import check_property, is_near_miss
from tablespec.model.sizes import parse_size
from tablespec.model.spec import (
    DEFAULT_DELETED_FILE_RETENTION_SECONDS,
    DEFAULT_LOG_RETENTION_SECONDS,
    DELETED_FILE_RETENTION,
    LOG_RETENTION,
    SOURCE_OPTIONS,
)
from tablespec.model.types import TypeParseError, has_variant, is_complex, is_partitionable, parse_type
from tablespec.specfiles.evolution import check_evolution
from tablespec.specfiles.yamlpos import Document

FORMAT_BY_EXTENSION = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


def infer_format(path: str) -> str | None:
    lowered = path.lower()
    for suffix in (".gz", ".zst", ".bz2"):
        lowered = lowered.removesuffix(suffix)
    return FORMAT_BY_EXTENSION.get(os.path.splitext(lowered)[1])


def check_document(doc: Document) -> list[Problem]:
    """Every meaning problem in one schema-shaped document."""
    spec = doc.value
    if not isinstance(spec, dict):
        return []
    name = spec.get("name")
    table = name if isinstance(name, str) else ""
    problems: list[Problem] = []

    def add(path: tuple[object, ...], message: str, hint: str = "", *, key: bool = False, warning: bool = False) -> None:
        problems.append(
            Problem(doc.loc(path, key=key), message, hint, "warning" if warning else "error", table)
        )

    _check_location(spec, add)
    types = _check_columns(spec, add)
    _check_partitioning(spec, types, add)
    _check_properties_and_retention(spec, add)
    _check_sources(spec, types, add)
    check_evolution(spec, types, add)
    _check_maintenance(spec, types, add)
    _check_features(spec, add)
    _check_expressions(spec, types, add)
    return problems


def _type_hint(text: str) -> str:
    """An unclosed ``(`` or ``<`` is most often a flow mapping (``{name: a, type: decimal(18,2)}``)
    cut at its comma by YAML: say to quote the type."""
    if text.count("(") > text.count(")") or text.count("<") > text.count(">"):
        return ("in a flow mapping {...} a comma ends the value: quote the type, "
                'e.g. {name: amount, type: "decimal(18,2)"}')
    return "types are Delta / Spark SQL names: long, string, decimal(18,2), array<string>, ..."


def _check_location(spec: dict[str, Any], add: Any) -> None:
    location = spec.get("location")
    if isinstance(location, str):
        scheme = unknown_scheme(location)
        if scheme is not None:
            add(("location",), f"location {location!r}: unknown scheme {scheme}://", f"use {known_schemes_text()}")


def _check_columns(spec: dict[str, Any], add: Any) -> dict[str, Any]:
    """Check column names and types; return lower-case name -> parsed type (None when unparsable)."""
    types: dict[str, Any] = {}
    columns = spec.get("columns")
    if not isinstance(columns, list):
        return types
    first_at: dict[str, int] = {}
    for i, column in enumerate(columns):
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            continue
        name = column["name"]
        lowered = name.lower()
        if lowered in first_at:
            add(
                ("columns", i, "name"),
                f"column {name!r} is declared twice (column names compare case-insensitively)",
                f"the first is columns[{first_at[lowered]}]; rename or remove one",
            )
            continue
        first_at[lowered] = i
        parsed = None
        if isinstance(column.get("type"), str):
            try:
                parsed = parse_type(column["type"])
            except TypeParseError as e:
                add(("columns", i, "type"), f"column {name!r}: {e}" if repr(column["type"]) in str(e)
                    else f"column {name!r}: bad type {column['type']!r}: {e}", _type_hint(column["type"]))
        types[lowered] = parsed
    return types


def _check_partitioning(spec: dict[str, Any], types: dict[str, Any], add: Any) -> None:
    partitions = spec.get("partitioned_by")
    if not isinstance(partitions, list):
        return
    seen: set[str] = set()
    for i, name in enumerate(partitions):
        if not isinstance(name, str):
            continue
        lowered = name.lower()
        if lowered in seen:
            add(("partitioned_by", i), f"partition column {name!r} is listed twice")
        seen.add(lowered)
        if lowered not in types:
            add(("partitioned_by", i), f"partition column {name!r} is not one of the columns",
                "partition columns must be declared under columns:")
        elif types[lowered] is not None and not is_partitionable(types[lowered]):
            add(("partitioned_by", i), f"column {name!r} of type {types[lowered]} cannot be a partition column",
                "partition by a primitive column such as a date or string")
    if types and seen and seen >= set(types):
        add(("partitioned_by",), "every column is a partition column; Delta needs at least one data column")


def _check_properties_and_retention(spec: dict[str, Any], add: Any) -> None:
    retention = spec.get("retention")
    declared = spec.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    seconds: dict[str, int] = {}
    if isinstance(retention, dict):
        for key, prop in (("deleted_files", DELETED_FILE_RETENTION), ("log", LOG_RETENTION)):
            value = retention.get(key)
            if not isinstance(value, str):
                continue
            try:
                seconds[key] = parse_duration(value)
            except ValueError as e:
                add(("retention", key), f"retention.{key}: {e}")
                continue
            if key == "deleted_files" and seconds[key] == 0:
                if retention.get("duration_check", True) is not False:
                    add(("retention", key), "retention.deleted_files of 0 lets vacuum remove files that the "
                        "current and recent versions still read: time travel to them ends, and a reader "
                        "that is still on an older version fails", "keep a retention (e.g. 7 days), or say you "
                        "mean it with retention.duration_check: false")
                else:
                    add(("retention", key), "retention.deleted_files is 0: every vacuum removes all files no "
                        "longer in the current version, ending time travel to earlier versions", warning=True)
            if prop in properties:
                add(("properties", prop), f"property {prop} is also set by retention.{key}",
                    f"remove it from properties: and keep retention.{key}", key=True)
        if retention.get("vacuum") is True and "deleted_files" not in retention:
            add(("retention", "vacuum"), "retention.vacuum needs retention.deleted_files to know which files are old enough",
                "add e.g. deleted_files: 7 days")
    for key, value in properties.items():
        if key in (DELETED_FILE_RETENTION, LOG_RETENTION) and isinstance(value, str):
            try:
                parse_duration(value)
            except ValueError as e:
                add(("properties", key), f"property {key}: {e}", "write e.g. 'interval 7 days'")
    deleted = seconds.get("deleted_files", DEFAULT_DELETED_FILE_RETENTION_SECONDS)
    log = seconds.get("log", DEFAULT_LOG_RETENTION_SECONDS)
    if seconds and deleted > log:
        add(("retention",), f"deleted files are kept longer ({deleted // 86400} days) than the log ({log // 86400} days): "
            "versions whose log entries are cleaned up cannot be time-travelled to, so the extra file retention is wasted",
            "make retention.log at least as long as retention.deleted_files", warning=True)
    constraints = spec.get("constraints")
    if isinstance(constraints, dict):
        first: dict[str, str] = {}
        for name in constraints:
            if isinstance(name, str) and name.lower() in first:
                add(("constraints", name), f"constraint {name!r} has the same name as {first[name.lower()]!r} "
                    "(constraint names compare case-insensitively)", key=True)
            first.setdefault(str(name).lower(), str(name))


def _check_sources(spec: dict[str, Any], types: dict[str, Any], add: Any) -> None:
    sources = spec.get("sources")
    if not isinstance(sources, list):
        return
    names: set[str] = set()
    for i, source in enumerate(sources):
        if not isinstance(source, dict):
            continue
        name = source.get("name")
        if isinstance(name, str):
            if name in names:
                add(("sources", i, "name"), f"source {name!r} is declared twice in this table")
            names.add(name)
        path = source.get("path")
        if isinstance(path, str) and "format" not in source and infer_format(path) is None:
            add(("sources", i, "path"), f"cannot tell the format of {path!r} from its extension",
                "add format: csv | parquet | json | ndjson")
        fmt = source.get("format") or (infer_format(path) if isinstance(path, str) else None)
        options = source.get("options")
        if fmt and isinstance(options, dict):
            encoding = options.get("encoding")
            if isinstance(encoding, str) and not _known_encoding(encoding):
                add(("sources", i, "options", "encoding"), f"unknown encoding {encoding!r}",
                    "use a Python codec name, e.g. utf-8, latin-1, cp1252, utf-16")  # issue 24.5: not at apply
            for option in options:
                if option not in SOURCE_OPTIONS.get(fmt, set()):
                    add(("sources", i, "options", option), f"unknown {fmt} option {option!r}",
                        "known options: " + ", ".join(sorted(SOURCE_OPTIONS.get(fmt, set()))), key=True)
        merge = source.get("merge")
        mode = source.get("mode", "append")
        if isinstance(merge, dict) and mode != "merge":
            add(("sources", i, "merge"), f"source {name!r} has merge: settings but mode {mode!r}",
                "set mode: merge, or remove the merge: block")
        if not isinstance(merge, dict) or not isinstance(merge.get("keys"), list):
            continue
        seen: set[str] = set()
        for k, key in enumerate(merge["keys"]):
            if not isinstance(key, str):
                continue
            if key.lower() in seen:
                add(("sources", i, "merge", "keys", k), f"merge key {key!r} is listed twice")
            seen.add(key.lower())
            if types and key.lower() not in types:
                add(("sources", i, "merge", "keys", k), f"merge key {key!r} is not one of the columns",
                    "merge keys must be declared under columns:")
            elif types.get(key.lower()) is not None and is_complex(types[key.lower()]):
                add(("sources", i, "merge", "keys", k), f"merge key {key!r} has nested type {types[key.lower()]}",
                    "merge on primitive columns")
        if (merge.get("when_matched") == "ignore" and merge.get("when_not_matched") == "ignore"
                and merge.get("when_not_matched_by_source", "keep") == "keep"):
            add(("sources", i, "merge"), "this merge changes nothing: every clause is ignore/keep")


def _check_maintenance(spec: dict[str, Any], types: dict[str, Any], add: Any) -> None:
    maintenance = spec.get("maintenance")
    if not isinstance(maintenance, dict):
        return
    raw = spec.get("properties")
    properties: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if "checkpoint_interval" in maintenance and CHECKPOINT_INTERVAL in properties:
        add(("properties", CHECKPOINT_INTERVAL), f"property {CHECKPOINT_INTERVAL} is also set by maintenance.checkpoint_interval",
            "remove it from properties: and keep maintenance.checkpoint_interval", key=True)
    optimize = maintenance.get("optimize")
    if not isinstance(optimize, dict):
        return
    size = optimize.get("target_file_size")
    if isinstance(size, (str, int)) and not isinstance(size, bool):
        try:
            parse_size(size)
        except ValueError as e:
            add(("maintenance", "optimize", "target_file_size"), f"maintenance.optimize.target_file_size: {e}")
    columns = optimize.get("z_order")
    if not isinstance(columns, list):
        return
    partitions = {p.lower() for p in spec.get("partitioned_by") or () if isinstance(p, str)}
    seen: set[str] = set()
    for i, name in enumerate(columns):
        if not isinstance(name, str):
            continue
        where = ("maintenance", "optimize", "z_order", i)
        lowered = name.lower()
        if lowered in seen:
            add(where, f"z_order column {name!r} is listed twice")
        seen.add(lowered)
        if types and lowered not in types:
            add(where, f"z_order column {name!r} is not one of the columns", "z_order names columns declared under columns:")
        elif lowered in partitions:
            add(where, f"z_order column {name!r} is a partition column; every file holds one value of it already",
                "z-order by data columns that queries filter on")
        elif types and (is_complex(types[lowered]) or has_variant(types[lowered])):
            add(where, f"z_order column {name!r} is {types[lowered]}: values of a nested or variant type have no "
                "order to cluster by", "z-order by primitive columns (numbers, strings, dates)")  # issue 24.5


def _known_encoding(name: str) -> bool:
    import codecs

    if name.lower().replace("-", "").replace("_", "") in ("utf8lossy",):
        return True
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _check_features(spec: dict[str, Any], add: Any) -> None:
    """Refuse properties that turn on a table feature delta-rs 1.6 cannot write (model.features)."""
    properties = spec.get("properties")
    if not isinstance(properties, dict):
        return
    for key, value in properties.items():
        found = guarded_feature(str(key), value)
        if found is not None:
            add(("properties", key), f"property {key} turns on the table feature {found.name}: {found.reason}",
                found.hint, key=True)
        elif key not in (DELETED_FILE_RETENTION, LOG_RETENTION) and (bad := check_property(str(key), value)):
            unknown = bad[0].endswith("not a Delta table property")
            add(("properties", key), bad[0], bad[1], key=unknown, warning=unknown and not is_near_miss(str(key)))


def _check_expressions(spec: dict[str, Any], types: dict[str, Any], add: Any) -> None:
    """CHECK constraints and generation expressions against the spec's columns (specfiles.expressions)."""
    constraints = spec.get("constraints")
    columns = [c for c in spec.get("columns") or () if isinstance(c, dict) and isinstance(c.get("name"), str)]
    generated = {c["name"].lower() for c in columns if isinstance(c.get("generated"), str)}
    expectations = spec.get("expectations")
    if not generated and not (isinstance(constraints, dict) and constraints) and not expectations:
        return  # sqlglot is imported only for specs that hold an expression
    from tablespec.specfiles.expressions import check_constraint, check_generated

    if not types:
        return  # no usable columns: their own problems are reported already
    nullable = {c["name"].lower(): c.get("nullable", True) is not False for c in columns}
    # a constraint naming a column's old name (renamed_from) is refused by the plan, with the reason
    old_names = {c["renamed_from"].lower() for c in columns if isinstance(c.get("renamed_from"), str)}
    if isinstance(constraints, dict):
        for name, text in constraints.items():
            if isinstance(text, str):
                for f in check_constraint(str(name), text, types, nullable, renamed=old_names):
                    add(("constraints", name), f.message, f.hint, warning=f.warning)
    if isinstance(expectations, dict):
        for name, body in expectations.items():
            if isinstance(body, dict) and isinstance(body.get("check"), str):
                for f in check_constraint(str(name), body["check"], types, nullable, kind="expectation"):
                    add(("expectations", name, "check"), f.message, f.hint, warning=f.warning)
    for i, column in enumerate(spec.get("columns") or ()):
        if isinstance(column, dict) and isinstance(column.get("generated"), str) and isinstance(column.get("name"), str):
            for f in check_generated(column["name"], column["generated"], types, generated):
                add(("columns", i, "generated"), f.message, f.hint, warning=f.warning)
