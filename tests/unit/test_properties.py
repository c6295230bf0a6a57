"""Issue 24.3: delta.* table properties are checked against the protocol's keys and value kinds."""

from __future__ import annotations

import pytest

from tablespec.model.properties import KNOWN, check_property, is_near_miss


@pytest.mark.parametrize(("key", "value", "problem", "hint"), [
    ("delta.appendOnly", "maybe", "'maybe' is not a boolean", "true or false"),
    ("delta.apendOnly", "true", "not a Delta table property", "did you mean delta.appendOnly?"),
    ("delta.appendonly", "true", "not a Delta table property", "did you mean delta.appendOnly?"),
    ("delta.checkpointInterval", "ten", "not an integer", "whole number"),
    ("delta.logRetentionDuration", "7 days", "not an interval", "interval 7 days"),
    ("delta.columnMapping.mode", "names", "one of none, name, id", "write one of"),
    ("delta.feature.deletionVectors", "on", "one of supported, enabled", "supported"),
    ("delta.madeUp", "x", "not a Delta table property", "commits it as it is"),
])
def test_bad_delta_properties_are_named(key: str, value: str, problem: str, hint: str) -> None:
    found = check_property(key, value)
    assert found is not None
    assert problem in found[0] and key in found[0]
    assert hint in found[1]


@pytest.mark.parametrize(("key", "value"), [
    ("delta.appendOnly", "TRUE"), ("delta.checkpointInterval", "50"), ("delta.isolationLevel", "serializable"),
    ("delta.deletedFileRetentionDuration", "interval 2 days"), ("delta.feature.deletionVectors", "supported"),
    ("delta.constraints.positive", "x > 0"), ("myteam.owner", "anything at all"), ("delta.targetFileSize", "128mb"),
])
def test_good_properties_pass(key: str, value: str) -> None:
    assert check_property(key, value) is None


def test_every_known_key_is_spelled_as_the_protocol_does() -> None:
    assert all(k.startswith("delta.") and " " not in k for k in KNOWN)


def test_only_a_near_miss_is_an_error_among_unknown_keys() -> None:
    assert is_near_miss("delta.apendOnly") and is_near_miss("delta.APPENDONLY")
    assert not is_near_miss("delta.someEngine.newThing") and not is_near_miss("delta.appendOnly")
