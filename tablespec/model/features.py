"""Table features delta-rs 1.6 cannot write, and the properties that would turn them on.

Why a guard: delta-rs 1.6 takes these properties without complaint when told not to check keys
(it stores the key and leaves the protocol without the feature, so other engines see a table
that claims a feature it lacks), fails with a kernel parse error when it checks them, and refuses
every write to a table whose protocol lists the feature ("Unsupported table features required").
So ``validate`` refuses to turn them on, at the property's line, and the plan refuses writes to a
table that already has one (``import`` flags it). Names are the protocol's feature names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str  # the protocol's feature name (readerFeatures / writerFeatures)
    properties: tuple[str, ...]  # properties that enable it
    what: str

    @property
    def reason(self) -> str:
        return (f"delta-rs 1.6 cannot write tables with {self.name} ({self.what}): it would store the property "
                "without the feature, or fail at apply, and it refuses every write to a table that has it")

    @property
    def hint(self) -> str:
        return "remove the property; tablespec manages this table with delta-rs, which cannot honour it"


FEATURES: tuple[Feature, ...] = (
    Feature("rowTracking", ("delta.enableRowTracking", "delta.feature.rowTracking"), "row ids and commit versions per row"),
    Feature("domainMetadata", ("delta.feature.domainMetadata",), "per-domain table metadata"),
    Feature("identityColumns", ("delta.feature.identityColumns",), "generated identity values"),
    Feature("icebergCompatV1", ("delta.enableIcebergCompatV1", "delta.feature.icebergCompatV1"), "Iceberg-compatible metadata"),
    Feature("typeWidening", ("delta.enableTypeWidening", "delta.feature.typeWidening",
                             "delta.feature.typeWidening-preview"), "in-place type changes"),
    Feature("clustering", ("delta.feature.clustering",), "liquid clustering"),
)
_BY_PROPERTY = {p.lower(): f for f in FEATURES for p in f.properties}
_BY_NAME = {f.name.lower(): f for f in FEATURES} | {"typewidening-preview": FEATURES[4]}
_ON = ("true", "supported", "enabled")


def guarded_feature(key: str, value: object) -> Feature | None:
    """The unwritable feature a property turns on, if it does (``"false"`` turns nothing on)."""
    feature = _BY_PROPERTY.get(key.lower())
    if feature is None or str(value).strip().lower() not in _ON:
        return None
    return feature


def unwritable(features: tuple[str, ...] | list[str]) -> tuple[Feature, ...]:
    """The guarded features among a protocol's writer (or reader) features."""
    found = {_BY_NAME[f.lower()].name: _BY_NAME[f.lower()] for f in features if f.lower() in _BY_NAME}
    return tuple(found[n] for n in sorted(found))
