"""`tablespec schema` prints the draft-07 spec schema that `validate` itself uses; shell completion works.

Editors (yaml-language-server) read draft-07 and below. A keyword from a later draft would not be
an error there, just silently ignored — so the test walks the schema and allows draft-07 keywords
only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tablespec.cli import run
from tablespec.schema import SCHEMA_FILE

DRAFT7_KEYWORDS = set(jsonschema.Draft7Validator.META_SCHEMA["properties"])
SUBSCHEMA_MAPS = ("properties", "patternProperties", "definitions", "dependencies")
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "items")
SUBSCHEMAS = ("additionalProperties", "additionalItems", "items", "propertyNames", "contains", "not",
              "if", "then", "else")


def _subschemas(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key in SUBSCHEMA_MAPS:
        for name, sub in schema.get(key, {}).items():
            yield from _subschemas(sub, f"{where}/{key}/{name}")
    for key in SUBSCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            for i, sub in enumerate(schema[key]):
                yield from _subschemas(sub, f"{where}/{key}/{i}")
    for key in SUBSCHEMAS:
        yield from _subschemas(schema.get(key), f"{where}/{key}")


def _printed(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert run(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == SCHEMA_FILE.read_text(encoding="utf-8")
    value: dict[str, Any] = json.loads(out)
    return value


def test_prints_a_draft7_schema(capsys: pytest.CaptureFixture[str]) -> None:
    schema = _printed(capsys)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] and schema["title"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator


def test_only_draft7_keywords(capsys: pytest.CaptureFixture[str]) -> None:
    walked = dict(_subschemas(_printed(capsys)))
    assert "#/definitions/source/properties/merge" in walked  # the walk reaches nested parts
    later = {f"{where}: {key}" for where, sub in walked.items() for key in sub if key not in DRAFT7_KEYWORDS}
    assert not later, f"keywords draft-07 does not know (editors would ignore them): {sorted(later)}"
    refs = {sub["$ref"] for sub in walked.values() if "$ref" in sub}
    assert refs and all(r.startswith("#/definitions/") for r in refs)


def test_validate_uses_the_same_draft7_schema() -> None:
    from tablespec.specfiles import loader

    validator = loader._validator()
    assert isinstance(validator, jsonschema.Draft7Validator)
    assert validator.schema == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / ".tablespec-schema.json"
    target.write_text("old")
    assert run(["schema", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == SCHEMA_FILE.read_text(encoding="utf-8")
    assert capsys.readouterr().out == ""
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left behind
    assert target.stat().st_mode & 0o644 == 0o644


def test_output_into_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nowhere" / "schema.json"
    assert run(["schema", "--output", str(target)]) == 64  # a usage error, as import --out gives (issue 24.7)
    err = capsys.readouterr().err
    assert str(target) in err and "No such file or directory" in err
    assert not target.parent.exists()


def test_output_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "--output", str(tmp_path)]) == 64
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script(shell: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """What the README tells users to put in their shell rc: `_TABLESPEC_COMPLETE=<shell>_source tablespec`."""
    monkeypatch.setenv("_TABLESPEC_COMPLETE", f"{shell}_source")
    assert run([]) == 0
    out = capsys.readouterr().out
    assert "_TABLESPEC_COMPLETE" in out and "_tablespec_completion" in out


@pytest.mark.parametrize(("words", "cword", "expected"), [
    ("tablespec pl", 1, ["plain,plan"]),
    ("tablespec s", 1, ["plain,show", "plain,schema"]),
    ("tablespec schema --", 2, ["plain,--output", "plain,--help"]),
])
def test_bash_completion_through_the_lazy_group(words: str, cword: int, expected: list[str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("_TABLESPEC_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(cword))
    assert run([]) == 0
    assert capsys.readouterr().out.split() == expected


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_with_the_installed_script(tmp_path: Path) -> None:
    """The real thing: bash sources the script the README gives and completes through the console script."""
    script = Path(sys.executable).with_name("tablespec")
    if not script.exists():
        pytest.skip("the tablespec console script is not installed next to this Python")
    env = {**os.environ, "PATH": f"{script.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("_TABLESPEC_COMPLETE", None)
    steps = (
        'eval "$(_TABLESPEC_COMPLETE=bash_source tablespec)"\n'
        "COMP_WORDS=(tablespec pl); COMP_CWORD=1; _tablespec_completion tablespec; echo \"${COMPREPLY[@]}\"\n"
        "COMPREPLY=(); COMP_WORDS=(tablespec plan --det); COMP_CWORD=2; _tablespec_completion tablespec; "
        "echo \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(["bash", "-c", steps], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["plan", "--detailed-exitcode"]
