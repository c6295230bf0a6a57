"""YAML to plain Python values, remembering where every node came from.

Problems must point at ``file:line:column`` of the offending node, so instead of ``yaml.safe_load``
we compose the node graph (libyaml when available) and convert it ourselves, recording each value's
and each mapping key's position by its path. Duplicate mapping keys, which PyYAML silently
collapses, are reported. ``${VAR}`` interpolation happens here, on string scalars only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from tablespec.config import is_secret_variable
from tablespec.errors import Location, Problem
from tablespec.interpolate import BadReference, MissingVariable, SecretReference, interpolate

try:  # libyaml is much faster; fall back to the pure-Python loader where it is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

Path_ = tuple[object, ...]
KEY = "<key>"  # path suffix under which a mapping key's own position is stored


@dataclass
class Document:
    """One YAML document: its value, the positions of its nodes, and what went wrong reading it."""

    file: str
    index: int
    value: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    start_line: int = 1

    def loc(self, path: Path_ = (), *, key: bool = False) -> Location:
        """The location of the node at ``path`` (of its key, with ``key=True``), else its nearest parent's."""
        if key and path + (KEY,) in self.positions:
            return Location(self.file, *self.positions[path + (KEY,)])
        while path not in self.positions and path:
            path = path[:-1]
        line, column = self.positions.get(path, (self.start_line, 1))
        return Location(self.file, line, column)


MAX_BYTES = 4 << 20  # a spec is a page or two of YAML
MAX_NODES = 200_000  # values after aliases are expanded: a "billion laughs" stops here
MAX_DEPTH = 64
_BUDGET_HINT = ("a spec is plain nested keys and lists: write repeated parts out, or use fewer aliases "
                "(an alias expands to a full copy of what it names)")


class _TooBig(Exception):
    def __init__(self, at: tuple[int, int], message: str) -> None:
        super().__init__(message)
        self.at, self.message = at, message


class _Budget:
    """What one document may cost once its aliases are expanded (issue 24.4): a 7-line alias
    bomb would otherwise expand to billions of values before any check runs."""

    def __init__(self) -> None:
        self.nodes = 0

    def spend(self, node: yaml.Node, path: Path_, doc: Document) -> None:
        self.nodes += 1
        if self.nodes <= MAX_NODES and len(path) <= MAX_DEPTH:
            return
        # point at the top-level key being expanded: an alias's own line says little
        at = doc.positions.get(path[:1] + (KEY,), (node.start_mark.line + 1, node.start_mark.column + 1))
        where = f"key {path[0]!r}" if path else "the document"
        if self.nodes > MAX_NODES:
            raise _TooBig(at, f"{where} expands to more than {MAX_NODES:,} values (YAML aliases)")
        raise _TooBig(at, f"{where} nests deeper than {MAX_DEPTH} levels")


def read_documents(text: str, file: str, env: Mapping[str, str]) -> list[Document]:
    """All documents in one YAML text; a syntax error yields one Document holding the problem."""
    documents: list[Document] = []
    if len(text) > MAX_BYTES:
        bad = Document(file, 0, None)
        bad.problems.append(Problem(Location(file, 1, 1), f"the file holds {len(text):,} characters; a spec may "
                                    f"hold at most {MAX_BYTES:,}", hint="one table per spec file; is this a spec?"))  # fmt: skip
        return [bad]
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            doc = Document(file, index, None, start_line=node.start_mark.line + 1)
            try:
                doc.value = _convert(node, (), doc, env, _Budget())
            except _TooBig as e:
                doc.value = None
                doc.problems.append(Problem(Location(file, *e.at), e.message, hint=_BUDGET_HINT))
            documents.append(doc)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"not valid YAML: {e.problem or e.context}"
        if e.context and e.problem:
            message += f" ({e.context})"
        bad = Document(file, len(documents), None)
        bad.problems.append(Problem(Location(file, line, column), message, hint=_yaml_hint(text, line)))
        documents.append(bad)
    except yaml.YAMLError as e:
        bad = Document(file, len(documents), None)
        bad.problems.append(Problem(Location(file, 1, 1), f"not valid YAML: {e}"))
        documents.append(bad)
    return documents


def _yaml_hint(text: str, line: int) -> str:
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1]:
        return "YAML does not allow tabs for indentation; use spaces"
    return "check indentation and that values containing ': ' or '#' are quoted"


_constructor = yaml.constructor.SafeConstructor()


def _convert(node: yaml.Node, path: Path_, doc: Document, env: Mapping[str, str], budget: _Budget) -> Any:
    budget.spend(node, path, doc)
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _TooBig((key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                              "a mapping key must be plain text, not a list or a mapping")  # fmt: skip
            key = _constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            key_path = path + (key,)
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                doc.problems.append(
                    Problem(
                        Location(doc.file, *key_pos),
                        f"key {key!r} appears twice in the same mapping",
                        hint=f"first at line {doc.positions[key_path + (KEY,)][0]}; remove one of them",
                    )
                )
            doc.positions[key_path + (KEY,)] = key_pos
            result[key] = _convert(value_node, key_path, doc, env, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), doc, env, budget) for i, item in enumerate(node.value)]
    value = _constructor.construct_object(node, deep=True)
    if isinstance(value, str) and "$" in value:
        try:
            value = interpolate(value, env, secret=lambda name, found: is_secret_variable(name, found, env))
        except SecretReference as e:
            doc.problems.append(
                Problem(
                    doc.loc(path),
                    f"${{{e.name}}} would put a secret into the spec",
                    hint="specs are printed by plan (PR comments) and written to the Delta log; credentials "
                    "belong in the environment or in tablespec.yaml's storage:, never in a spec",
                )
            )
            value = ""
        except MissingVariable as e:
            doc.problems.append(
                Problem(
                    doc.loc(path),
                    f"environment variable {e.name} is not set",
                    hint=f"export {e.name}=... or give a default: ${{{e.name}:-value}}",
                )
            )
        except BadReference as e:
            doc.problems.append(Problem(doc.loc(path), str(e), hint="write ${NAME} or ${NAME:-default}; $$ is a literal $"))
    return value
