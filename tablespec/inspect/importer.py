"""``tablespec import``: write a spec for an existing Delta table, whichever engine wrote it.

The promise (README, ``tablespec import``): planning the imported spec against the same table shows no changes. So
the spec says exactly what the log says — column order, exact types, nullability, comments,
partitioning, description, properties, constraints, retention — and nothing that would make apply
act: ``retention.vacuum`` is written as ``false`` (apply never starts vacuuming a table because
it was imported), and no ``sources:`` are invented.

Properties: every table property goes under ``properties:`` except
  * ``delta.constraints.<name>`` -> ``constraints:``;
  * ``delta.deletedFileRetentionDuration`` / ``delta.logRetentionDuration`` -> ``retention:``
    (when tablespec writes back the very same string; otherwise they stay verbatim under
    ``properties:`` so the plan has nothing to change);
  * keys the engine maintains, not the user (``ENGINE_MANAGED`` and ``ENGINE_MANAGED_PREFIXES``:
    protocol requests, column-mapping bookkeeping, row-tracking and in-commit-timestamp
    bookkeeping, tablespec's own ``tablespec.managedProperties``). Declaring them would make
    tablespec "own" values that change under it.

What the spec format cannot express (column mapping's physical names, generated and identity
columns, invariants, nested nullability and comments, types without a tablespec spelling, table
features such as deletion vectors or row tracking) is never dropped silently: each becomes a note,
printed to stderr by the CLI and written as a comment at the top of the YAML.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from tablespec.config import redact
from tablespec.errors import UsageError
from tablespec.model.durations import human, parse_duration, to_delta_interval
from tablespec.model.keys import VERSION as __version__
from tablespec.model.spec import API_VERSION, DELETED_FILE_RETENTION, LOG_RETENTION
from tablespec.model.state import CONSTRAINT_PREFIX
from tablespec.model.types import Array, DataType, Map, Struct, TypeParseError, from_delta_json

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
COLUMN_NAME_PATTERN = re.compile(r"^[^,;{}()\n\t=]+$")
CONSTRAINT_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MANAGED_PROPERTIES_KEY = "tablespec.managedProperties"
ENGINE_MANAGED = frozenset({
    "delta.minReaderVersion", "delta.minWriterVersion", "delta.columnMapping.maxColumnId",
    "delta.inCommitTimestampEnablementVersion", "delta.inCommitTimestampEnablementTimestamp",
    "delta.rowTracking.materializedRowIdColumnName", "delta.rowTracking.materializedRowCommitVersionColumnName",
    MANAGED_PROPERTIES_KEY,
})  # fmt: skip
ENGINE_MANAGED_PREFIXES = ("delta.feature.",)
# Mapping mode is how the data files are laid out, not a setting a spec can reproduce on a new
# table (it needs physical names); it is reported and left out.
LAYOUT_PROPERTIES = frozenset({"delta.columnMapping.mode"})
# Table features a spec expresses (through a property, a constraint or a type) or that change
# nothing for tablespec; any other feature in the protocol is reported.
EXPRESSIBLE_FEATURES = frozenset({"appendOnly", "checkConstraints", "changeDataFeed", "timestampNtz", "invariants",
                                  "generatedColumns", "identityColumns", "columnMapping"})
COLUMN_MAPPING_KEYS = ("delta.columnMapping.id", "delta.columnMapping.physicalName", "delta.columnMapping.nested.ids")
FEATURE_NOTES = {
    "deletionVectors": "table feature deletionVectors: rows deleted by other engines are hidden by deletion vectors; "
                       "tablespec reads them, but a table created from this spec gets the feature only through "
                       "the delta.enableDeletionVectors property",
    "v2Checkpoint": "table feature v2Checkpoint: checkpoints use the V2 format; not expressed in the spec",
    "rowTracking": "table feature rowTracking: row ids are tracked; not expressed in the spec",
    "domainMetadata": "table feature domainMetadata: the log carries domain metadata (e.g. clustering); not expressed in the spec",
    "clustering": "table feature clustering (liquid clustering): clustering columns are not expressed in the spec",
    "typeWidening": "table feature typeWidening: not expressed in the spec",
    "inCommitTimestamp": "table feature inCommitTimestamp: not expressed in the spec",
    "vacuumProtocolCheck": "table feature vacuumProtocolCheck: not expressed in the spec",
}


@dataclass(frozen=True)
class ImportResult:
    document: dict[str, Any]  # the spec, as YAML would load it (``$`` not yet escaped)
    notes: tuple[str, ...]  # what the spec cannot express
    yaml: str  # the spec file text, notes as comments on top
    version: int  # the table version imported


def import_spec(uri: str, storage_options: dict[str, str] | None = None, *, name: str,
                location: str | None = None) -> ImportResult:
    """A spec for the Delta table at ``uri``, named ``name``, whose ``location`` is ``location``
    (default: ``uri``, made absolute when it is a local path)."""
    from tablespec.delta.handle import open_table

    if not NAME_PATTERN.match(name):
        raise UsageError(f"--name {name!r} is not a valid table name", hint="names use letters, digits, _ . and -")
    dt = open_table(uri, storage_options, name=name)
    schema = json.loads(dt.schema().to_json())
    metadata = dt.metadata()
    protocol = dt.protocol()
    features = set(protocol.reader_features or ()) | set(protocol.writer_features or ())
    return build_spec(
        name=name,
        location=location or _default_location(uri),
        schema=schema,
        partition_columns=list(metadata.partition_columns),
        configuration=dict(metadata.configuration),
        description=metadata.description or None,
        features=features,
        version=int(dt.version()),
        source=uri,
    )


def build_spec(*, name: str, location: str, schema: dict[str, Any], partition_columns: list[str],
               configuration: dict[str, str], description: str | None, features: set[str], version: int,
               source: str) -> ImportResult:
    """The pure part of import: log metadata in, spec document and notes out."""
    notes: list[str] = []
    doc: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "Table", "name": name, "location": location}
    if description:
        doc["description"] = description
    doc["columns"] = [c for c in (_column(f, notes) for f in schema.get("fields", [])) if c is not None]
    if any(key in f.get("metadata", {}) for f in schema.get("fields", []) for key in COLUMN_MAPPING_KEYS):
        mode = configuration.get("delta.columnMapping.mode", "name")
        notes.append(f"column mapping (mode {mode}): data files use physical column names the spec cannot "
                     "express; delta.columnMapping.* properties are left out, and a table created from this "
                     "spec would not use column mapping")
    if partition_columns:
        doc["partitioned_by"] = list(partition_columns)
    properties, constraints, retention = _split_properties(configuration, notes)
    if properties:
        doc["properties"] = properties
    if constraints:
        doc["constraints"] = constraints
    if retention:
        doc["retention"] = retention
    for feature in sorted(features - EXPRESSIBLE_FEATURES):
        notes.append(FEATURE_NOTES.get(feature, f"table feature {feature}: not expressed in the spec"))
    return ImportResult(document=doc, notes=tuple(notes), yaml=render_yaml(doc, notes, source, version),
                        version=version)


def _default_location(uri: str) -> str:
    if "://" in uri and not uri.startswith("file://"):
        return uri.rstrip("/")
    path = uri.removeprefix("file://")
    return os.path.abspath(path)


def _column(field: dict[str, Any], notes: list[str]) -> dict[str, Any] | None:
    name = str(field["name"])
    meta = dict(field.get("metadata") or {})
    try:
        parsed = from_delta_json(field["type"])
    except (TypeParseError, KeyError, TypeError):
        notes.append(f"column {name!r} has type {json.dumps(field.get('type'))}, which tablespec cannot express; "
                     "it is left out of the spec (so planning this spec shows a refused drop of that column)")
        return None
    if not COLUMN_NAME_PATTERN.match(name):
        notes.append(f"column name {name!r} has characters a spec column name cannot have (, ; {{ }} ( ) = tab "
                     "newline); it is left out of the spec")
        return None
    column: dict[str, Any] = {"name": name, "type": str(parsed)}
    if not field.get("nullable", True):
        column["nullable"] = False
    if meta.get("comment") is not None:
        column["comment"] = str(meta["comment"])
    if "delta.generationExpression" in meta:
        notes.append(f"column {name!r} is generated as {meta['delta.generationExpression']!r}; the spec cannot "
                     "express generated columns (loads must supply the value)")
    if any(k.startswith("delta.identity.") for k in meta):
        notes.append(f"column {name!r} is an identity column; the spec cannot express identity columns")
    if "delta.invariants" in meta:
        notes.append(f"column {name!r} has a legacy invariant {meta['delta.invariants']}; not expressed in the "
                     "spec (write it as a constraint if it matters)")
    if "__CHAR_VARCHAR_TYPE_STRING" in meta:
        notes.append(f"column {name!r} was declared {meta['__CHAR_VARCHAR_TYPE_STRING']} by its writer; "
                     "imported as string (the length is not enforced by tablespec)")
    known = {"comment", "delta.generationExpression", "delta.invariants", "__CHAR_VARCHAR_TYPE_STRING", *COLUMN_MAPPING_KEYS}
    other = sorted(k for k in meta if k not in known and not k.startswith("delta.identity."))
    if other:
        notes.append(f"column {name!r} carries metadata the spec does not express: {', '.join(other)}")
    if _nested_detail(field["type"]) or _loses_nullability(parsed):
        notes.append(f"column {name!r}: nullability and comments of nested fields are not expressed in the spec "
                     f"(type written as {parsed})")
    return column


def _nested_detail(node: Any) -> bool:
    """True when a nested struct field carries a comment or other metadata."""
    if isinstance(node, dict):
        if node.get("type") == "struct":
            return any((f.get("metadata") or {}) or _nested_detail(f.get("type")) for f in node.get("fields", []))
        return any(_nested_detail(node.get(k)) for k in ("elementType", "keyType", "valueType"))
    return False


def _loses_nullability(t: DataType) -> bool:
    if isinstance(t, Array):
        return not t.contains_null or _loses_nullability(t.element)
    if isinstance(t, Map):
        return not t.value_contains_null or _loses_nullability(t.key) or _loses_nullability(t.value)
    if isinstance(t, Struct):
        return any(not f.nullable or _loses_nullability(f.type) for f in t.fields)
    return False


def _split_properties(config: dict[str, str], notes: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    properties: dict[str, str] = {}
    constraints: dict[str, str] = {}
    retention: dict[str, Any] = {}
    for key, value in sorted(config.items()):
        if key.startswith(CONSTRAINT_PREFIX):
            constraint = key[len(CONSTRAINT_PREFIX):]
            if CONSTRAINT_NAME_PATTERN.match(constraint):
                constraints[constraint] = value
            else:
                notes.append(f"constraint {constraint!r} ({value}) has a name a spec cannot use; left out")
        elif key in ENGINE_MANAGED or key.startswith(ENGINE_MANAGED_PREFIXES) or key in LAYOUT_PROPERTIES:
            continue
        elif key in (DELETED_FILE_RETENTION, LOG_RETENTION) and _round_trips(value):
            retention["deleted_files" if key == DELETED_FILE_RETENTION else "log"] = human(parse_duration(value))
        else:
            properties[key] = value
    if "deleted_files" in retention:
        retention["vacuum"] = False
    return properties, constraints, retention


def _round_trips(value: str) -> bool:
    """True when ``retention:`` would write back exactly ``value`` (so the plan sees no change)."""
    try:
        return to_delta_interval(parse_duration(value)) == value
    except ValueError:
        return False


def render_yaml(doc: dict[str, Any], notes: list[str] | tuple[str, ...], source: str, version: int) -> str:
    """The spec file: a comment header (provenance and notes), then the document. Every ``$`` in a
    value is doubled, because the loader reads ``${VAR}`` as an environment reference."""
    import yaml

    header = [f"# Imported by tablespec {__version__} from {redact(source)} at version {version}."]
    if "retention" in doc and doc["retention"].get("vacuum") is False:
        header.append("# retention.vacuum is false so apply does not start vacuuming this table; set it to true to let it.")
    if notes:
        header.append("# Not expressed in this spec (review before applying it elsewhere):")
        for note in notes:
            header.append("#   - " + note.replace("\n", " "))
    body = yaml.safe_dump(_escape(doc), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return "\n".join(header) + "\n" + body


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value
