"""Find spec files, read them, check them, and build :class:`~tablespec.model.spec.TableSpec` objects.

Imports only PyYAML and jsonschema, so ``tablespec validate`` stays fast (tests/cli/test_validate_imports.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tablespec.config import DEFAULT_SPECS, Config, load_config
from tablespec.errors import Location, Problem, SpecInvalid, UsageError
from tablespec.model.durations import parse_duration
from tablespec.model.keys import DEFAULT_MIN_SMALL_FILES, DEFAULT_TARGET_FILE_SIZE
from tablespec.model.sizes import parse_size
from tablespec.model.spec import (
    API_VERSION,
    ColumnSpec,
    ExpectationSpec,
    MaintenanceSpec,
    MergeSpec,
    OptimizeSpec,
    RetentionSpec,
    SourceSpec,
    TableSpec,
    spec_hash,
)
from tablespec.model.types import canonical
from tablespec.schema import load_schema
from tablespec.specfiles.checks import check_document, infer_format
from tablespec.specfiles.yamlpos import Document, read_documents

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadResult:
    """What reading the specs gave: the tables that are valid, and every problem found."""

    specs: tuple[TableSpec, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


@lru_cache(maxsize=1)
def _validator() -> Any:
    """Draft-07, the schema's own draft: editors read the same file (tablespec/schema/__init__.py)."""
    import jsonschema

    return jsonschema.Draft7Validator(load_schema())


def spec_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Every .yaml/.yml file under ``paths``, sorted; missing paths are problems."""
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file() and p.name != "tablespec.yaml"
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(Problem(Location(str(path)), f"no .yaml or .yml spec files under {path}/"))
            files.extend(found)
        else:
            problems.append(
                Problem(Location(str(path)), f"no such file or folder: {path}",
                        hint="pass spec files or folders; the default is specs/")
            )
    unique = list(dict.fromkeys(files))
    return unique, problems


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def check_specs(
    paths: Sequence[str | Path] | None = None,
    *,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
) -> LoadResult:
    """Read and check every spec under ``paths``; never raises for problems in the specs."""
    config = config or load_config(env=env)
    env = config.env if env is None else env
    files, problems = spec_files(paths or [config.root / DEFAULT_SPECS])
    specs: list[TableSpec] = []
    for path in files:
        shown = _display(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            problems.append(Problem(Location(shown), f"cannot read spec file: {e}"))
            continue
        documents = read_documents(text, shown, env)
        if not documents:
            problems.append(Problem(Location(shown, 1), "the file holds no spec (it is empty or only comments)",
                                    "add a table spec, or remove the file", "warning"))
        for doc in documents:
            problems.extend(doc.problems)
            if doc.value is None:
                continue
            doc_problems = _schema_problems(doc)
            doc_problems += check_document(doc)
            problems.extend(doc_problems)
            if not doc.problems and not any(p.severity == "error" for p in doc_problems):
                specs.append(_build(doc, path, config))
    problems.extend(_cross_checks(specs))
    problems.sort(key=lambda p: (p.location.file, p.location.line, p.location.column))
    return LoadResult(tuple(sorted(specs, key=lambda s: s.name)), tuple(problems), tuple(_display(f) for f in files))


def load_specs(
    paths: Sequence[str | Path] | None = None,
    *,
    config: Config | None = None,
    env: Mapping[str, str] | None = None,
    tables: Iterable[str] = (),
    strict: bool = False,
) -> tuple[TableSpec, ...]:
    """Valid specs sorted by name, optionally only ``tables``; raises SpecInvalid on any error."""
    result = check_specs(paths, config=config, env=env)
    if result.errors or (strict and result.warnings):
        raise SpecInvalid(result.problems)
    return select_tables(result.specs, tables)


def select_tables(specs: Sequence[TableSpec], tables: Iterable[str]) -> tuple[TableSpec, ...]:
    wanted = list(tables)
    if not wanted:
        return tuple(specs)
    names = {s.name for s in specs}
    unknown = [t for t in wanted if t not in names]
    if unknown:
        raise UsageError(
            f"no table named {', '.join(unknown)} in the specs",
            hint=f"known tables: {', '.join(sorted(names)) or 'none'}",
        )
    return tuple(s for s in specs if s.name in wanted)


def _schema_problems(doc: Document) -> list[Problem]:
    value = doc.value
    if not isinstance(value, dict):
        return [Problem(doc.loc(()), "a spec document must be a mapping with apiVersion, kind, name, location and columns")]
    name = value.get("name")
    table = name if isinstance(name, str) else ""
    problems: dict[tuple[str, str], Problem] = {}  # one per place and message: jsonschema reports a
    # "required" error once per missing key, each listing every required key
    for error in sorted(_validator().iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        for problem in _explain(error, doc, table):
            problems.setdefault((str(problem.location), problem.message), problem)
    return list(problems.values())


def _explain(error: Any, doc: Document, table: str) -> list[Problem]:
    """Turn one jsonschema error into problems worded for a spec author."""
    path = tuple(error.absolute_path)
    where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[") or "the spec"
    validator, instance = error.validator, error.instance
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extras = [k for k in instance if k not in allowed]
        return [
            Problem(doc.loc(path + (k,), key=True), f"unknown key {k!r} in {where}",
                    _closest_hint(k, allowed), table=table)
            for k in extras
        ]
    if validator == "required":
        missing = [k for k in error.validator_value if k not in instance]
        return [Problem(doc.loc(path), f"{where} is missing required key {k!r}", table=table) for k in missing]
    if validator == "const" and path == ("apiVersion",):
        return [Problem(doc.loc(path), f"apiVersion must be {API_VERSION!r}, not {instance!r}", table=table)]
    if validator == "const":
        return [Problem(doc.loc(path), f"{where} must be {error.validator_value!r}, not {instance!r}", table=table)]
    if validator == "enum":
        choices = " | ".join(map(str, error.validator_value))
        return [Problem(doc.loc(path), f"{where} is {instance!r}; expected one of {choices}", table=table)]
    if validator == "type":
        expected = error.validator_value
        hint = ""
        if expected == "string" and isinstance(instance, (bool, int, float)):
            hint = f"quote the value: \"{str(instance).lower() if isinstance(instance, bool) else instance}\""
        return [Problem(doc.loc(path), f"{where} must be {_a(expected)}, not {_type_name(instance)}", hint, table=table)]
    if validator == "pattern":
        return [Problem(doc.loc(path), f"{where} {instance!r} has characters that are not allowed",
                        "names use letters, digits, _ . and -", table=table)]
    if validator == "propertyNames":
        return [Problem(doc.loc(path + (instance,), key=True), f"{where}: name {instance!r} is not allowed",
                        "constraint names are letters, digits and _, not starting with a digit", table=table)]
    if validator == "minimum":
        return [Problem(doc.loc(path), f"{where} must be at least {error.validator_value}, not {instance}", table=table)]
    if validator == "minItems":
        return [Problem(doc.loc(path), f"{where} must not be empty", table=table)]
    if validator == "minLength":
        return [Problem(doc.loc(path), f"{where} must not be empty", table=table)]
    return [Problem(doc.loc(path), f"{where}: {error.message}", table=table)]


def _a(expected: object) -> str:
    names = {"string": "a string", "object": "a mapping", "array": "a list", "boolean": "true or false",
             "integer": "an integer", "null": "empty"}
    if isinstance(expected, list):
        return " or ".join(names.get(str(e), str(e)) for e in expected)
    return names.get(str(expected), str(expected))


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    return f"{type(value).__name__} {value!r}"


def _closest_hint(key: str, allowed: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return "allowed keys: " + ", ".join(allowed)


def _build(doc: Document, path: Path, config: Config) -> TableSpec:
    value = doc.value
    spec_dir = path.resolve().parent
    retention = value.get("retention") or {}
    deleted = parse_duration(retention["deleted_files"]) if "deleted_files" in retention else None
    return TableSpec(
        name=value["name"],
        location=value["location"],
        uri=config.resolve_location(value["location"]),
        description=value.get("description"),
        columns=tuple(
            ColumnSpec(
                name=c["name"],
                type=canonical(c["type"]),
                nullable=c.get("nullable", True),
                comment=c.get("comment"),
                renamed_from=c.get("renamed_from"),
                generated=c.get("generated"),
                loc=doc.loc(("columns", i)),
            )
            for i, c in enumerate(value["columns"])
        ),
        partitioned_by=tuple(value.get("partitioned_by") or ()),
        properties=tuple(sorted((value.get("properties") or {}).items())),
        constraints=tuple((value.get("constraints") or {}).items()),
        expectations=tuple(ExpectationSpec(name, e["check"], e.get("on_fail", "fail"))
                           for name, e in (value.get("expectations") or {}).items()),
        retention=RetentionSpec(
            deleted_files=deleted,
            log=parse_duration(retention["log"]) if "log" in retention else None,
            vacuum=retention.get("vacuum", deleted is not None),
            duration_check=retention.get("duration_check", True),
        ),
        sources=tuple(_source(s, i, doc, spec_dir) for i, s in enumerate(value.get("sources") or ())),
        maintenance=_maintenance(value.get("maintenance") or {}),
        loc=doc.loc(()),
        spec_hash=spec_hash(value),
    )


def _maintenance(raw: dict[str, Any]) -> MaintenanceSpec:
    optimize = raw.get("optimize")
    return MaintenanceSpec(
        optimize=None if optimize is None else OptimizeSpec(
            target_size=parse_size(optimize.get("target_file_size", DEFAULT_TARGET_FILE_SIZE)),
            min_small_files=optimize.get("min_small_files", DEFAULT_MIN_SMALL_FILES),
            z_order=tuple(optimize.get("z_order") or ()),
        ),
        checkpoint_interval=raw.get("checkpoint_interval"),
        log_cleanup=bool(raw.get("log_cleanup", False)),
    )


def _source(raw: dict[str, Any], index: int, doc: Document, spec_dir: Path) -> SourceSpec:
    path = raw["path"]
    if "://" in path and not path.startswith("file://"):
        resolved = path
    elif path.startswith("file://"):
        resolved = path[len("file://") :]
    else:
        resolved = os.path.normpath(os.path.join(spec_dir, path))
    merge = raw.get("merge")
    return SourceSpec(
        name=raw["name"],
        path=path,
        resolved=resolved,
        format=raw.get("format") or infer_format(path),  # type: ignore[arg-type]
        mode=raw.get("mode", "append"),
        options=tuple(sorted((raw.get("options") or {}).items())),
        merge=MergeSpec(
            keys=tuple(merge["keys"]),
            when_matched=merge.get("when_matched", "update"),
            when_not_matched=merge.get("when_not_matched", "insert"),
            when_not_matched_by_source=merge.get("when_not_matched_by_source", "keep"),
        )
        if merge
        else None,
        extra_columns=raw.get("extra_columns", "error"),
        dedupe=raw.get("dedupe", "error"),
        loc=doc.loc(("sources", index)),
    )


def _cross_checks(specs: list[TableSpec]) -> list[Problem]:
    """Two specs may not share a name or a location."""
    problems: list[Problem] = []
    by_name: dict[str, TableSpec] = {}
    by_uri: dict[str, TableSpec] = {}
    for spec in specs:
        if spec.name in by_name:
            first = by_name[spec.name]
            problems.append(Problem(spec.loc, f"table name {spec.name!r} is already used by the spec at {first.loc}",
                                    "table names must be unique in the project", table=spec.name))
        else:
            by_name[spec.name] = spec
        uri = spec.uri.rstrip("/")
        if uri in by_uri and by_uri[uri].name != spec.name:
            first = by_uri[uri]
            problems.append(Problem(spec.loc, f"table {spec.name!r} has the same location {uri} as table {first.name!r} ({first.loc})",
                                    "each table needs its own location", table=spec.name))
        else:
            by_uri.setdefault(uri, spec)
    return problems
