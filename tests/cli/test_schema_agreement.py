"""The published schema and `tablespec validate` agree, document by document, on every spec we have.

An editor underlines what the schema rejects; CI fails on what `validate` rejects. If the two
disagreed, a spec could look fine in the editor and fail in review, or the reverse. So every spec
in the repository — the example project (specs/), the broken-spec corpus of
test_validate_corpus.py, every spec text written in a test module, and schema_corpus.py's cases
(wrong types, unknown keys, bad enum values, missing required keys, at every level) — goes through
the real ``check-jsonschema`` with the schema ``tablespec schema --output`` writes, and through
validate's schema stage (yamlpos + the loader's schema check, not the meaning checks). A file with
several documents is compared per document (check-jsonschema reads one document per file).

Known divergences are listed in KNOWN_DIVERGENCES with the reason, and asserted to still diverge,
so a fix (or a new divergence) shows up here.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from schema_corpus import MULTI_DOCUMENT, SCHEMA_CASES
from test_validate_corpus import BASE as VALIDATE_BASE
from test_validate_corpus import CASES as VALIDATE_CASES

from tablespec.cli import run
from tablespec.specfiles.loader import _schema_problems
from tablespec.specfiles.yamlpos import read_documents

ROOT = Path(__file__).resolve().parents[2]

# Where check-jsonschema (YAML 1.2, ECMA-262 regexes, the text as written) and validate (PyYAML's
# YAML 1.1, after ${VAR} substitution) read the same bytes differently. Not a schema difference:
# both validate the same schema file; the parsers hand it different values.
KNOWN_DIVERGENCES: dict[str, str] = {
    "yaml11_yes_is_boolean": "YAML 1.1 reads `yes` as true, YAML 1.2 (editors, check-jsonschema) as a string",
    "yaml11_on_is_boolean": "YAML 1.1 reads `on` as true: validate rejects a comment that editors accept",
    "yaml11_date_is_not_string": "PyYAML makes 2024-01-01 a date; check-jsonschema keeps timestamps as strings",
    "yaml12_exponent_is_number": "`1e3` is a string in YAML 1.1 (no dot), a number in YAML 1.2",
    "interpolated_name": "validate checks the name after ${VAR:-default} substitution; editors see the reference",
}

DIVERGENCE_CASES: list[tuple[str, str]] = [
    ("yaml11_yes_is_boolean", "apiVersion: tablespec/v1\nkind: Table\nname: t\nlocation: t\n"
                              "columns: [{name: a, type: int, nullable: yes}]\n"),
    ("yaml11_on_is_boolean", "apiVersion: tablespec/v1\nkind: Table\nname: t\nlocation: t\n"
                             "columns: [{name: a, type: int, comment: on}]\n"),
    ("yaml11_date_is_not_string", "apiVersion: tablespec/v1\nkind: Table\nname: t\nlocation: t\n"
                                  "description: 2024-01-01\ncolumns: [{name: a, type: int}]\n"),
    ("yaml12_exponent_is_number", "apiVersion: tablespec/v1\nkind: Table\nname: 1e3\nlocation: t\n"
                                  "columns: [{name: a, type: int}]\n"),
    ("interpolated_name", "apiVersion: tablespec/v1\nkind: Table\nname: ${TABLESPEC_SCHEMA_TEST_NAME:-t}\n"
                          "location: t\ncolumns: [{name: a, type: int}]\n"),
]


INCLUDED_OTHERWISE = ("schema_corpus.py", "test_schema_agreement.py", "test_validate_corpus.py")


def _test_module_specs() -> list[tuple[str, str]]:
    """Every complete spec text written as a string constant in a test module (not f-strings)."""
    found = []
    for module in sorted((ROOT / "tests").rglob("*.py")):
        if module.name in INCLUDED_OTHERWISE:
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and "apiVersion:" in node.value
                    and not re.search(r"\{\{|\{\w+\}", node.value)):  # str.format templates are not specs yet
                found.append((f"{module.relative_to(ROOT / 'tests').as_posix()}:{node.lineno}:{node.col_offset}",
                              textwrap.dedent(node.value)))
    return found


def _corpus() -> list[tuple[str, str]]:
    cases = [(f"specs/{p.name}", p.read_text(encoding="utf-8")) for p in sorted((ROOT / "specs").glob("*.y*ml"))]
    cases += [(f"schema_corpus/{case}", text) for case, text, _ in SCHEMA_CASES]
    cases.append((f"schema_corpus/{MULTI_DOCUMENT[0]}", MULTI_DOCUMENT[1]))
    cases.append(("validate_corpus/base", VALIDATE_BASE))
    cases += [(f"validate_corpus/{case}", text) for case, text, _, _ in VALIDATE_CASES]
    cases += _test_module_specs()
    cases += [(f"divergence/{case}", text) for case, text in DIVERGENCE_CASES]
    return cases


def _documents(text: str) -> list[str]:
    """Each non-empty document's own text; a text PyYAML cannot parse stays whole."""
    try:
        events = list(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return [text]
    docs, start = [], 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            start = event.start_mark.index
        elif isinstance(event, yaml.DocumentEndEvent):
            piece = text[start:event.end_mark.index]
            (doc,) = read_documents(piece, "doc.yaml", {}) or [None]
            if doc is not None and (doc.value is not None or doc.problems):  # validate skips empty documents
                docs.append(piece)
    return docs


DOCUMENTS: list[tuple[str, str]] = [
    (case if len(docs) == 1 else f"{case}#{i}", doc)
    for case, text in _corpus()
    for docs in [_documents(text)]
    for i, doc in enumerate(docs)
]


def _file_name(doc_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id) + ".yaml"


def validate_verdict(text: str) -> str:
    """validate's schema stage on one document: valid, invalid, or parse-error."""
    (doc,) = read_documents(text, "doc.yaml", {})
    if doc.value is None:
        return "parse-error"
    if any("appears twice" in p.message for p in doc.problems):
        return "parse-error"  # validate reports a duplicate key itself; check-jsonschema cannot parse it
    return "invalid" if _schema_problems(doc) else "valid"


@pytest.fixture(scope="module")
def check_jsonschema_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One check-jsonschema run over every document, with the schema `tablespec schema` publishes."""
    folder = tmp_path_factory.mktemp("agreement")
    schema = folder / "tablespec-schema.json"
    assert run(["schema", "--output", str(schema)]) == 0
    names = []
    for doc_id, text in DOCUMENTS:
        names.append(_file_name(doc_id))
        (folder / names[-1]).write_text(text, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--output-format", "json", "--schemafile", str(schema), *names],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode in (0, 1), out.stderr
    report = json.loads(out.stdout)
    verdicts = dict.fromkeys(names, "valid")
    verdicts.update({e["filename"]: "invalid" for e in report["errors"]})
    verdicts.update({e["filename"]: "parse-error" for e in report["parse_errors"]})
    return verdicts


def test_corpus_is_broad() -> None:
    ids = [doc_id for doc_id, _ in DOCUMENTS]
    assert len(ids) == len(set(ids)) and len({_file_name(i) for i in ids}) == len(ids)
    assert len(ids) >= 150
    assert sum(i.startswith("specs/") for i in ids) >= 3
    assert any("#" in i for i in ids), "several documents in one file must be compared per document"


@pytest.mark.parametrize(("doc_id", "text"), DOCUMENTS, ids=[d for d, _ in DOCUMENTS])
def test_same_verdict(doc_id: str, text: str, check_jsonschema_verdicts: dict[str, str]) -> None:
    divergence = KNOWN_DIVERGENCES.get(doc_id.removeprefix("divergence/"))
    ours, theirs = validate_verdict(text), check_jsonschema_verdicts[_file_name(doc_id)]
    same = (ours == "valid") == (theirs == "valid")  # a parse error and a schema error both reject the spec
    if divergence:
        assert not same, f"no longer diverges ({divergence}): remove it from KNOWN_DIVERGENCES"
        return
    assert same, f"validate says {ours}, check-jsonschema says {theirs} for:\n{text}"


@pytest.mark.parametrize(("case", "text", "valid"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_schema_case_verdict(case: str, text: str, valid: bool) -> None:
    """Each hand-written case means what its name says (so agreement is not agreement on nothing)."""
    assert validate_verdict(text) == ("valid" if valid else "invalid")


def test_multi_document_verdicts() -> None:
    assert [validate_verdict(d) for d in _documents(MULTI_DOCUMENT[1])] == ["valid", "invalid", "valid"]
