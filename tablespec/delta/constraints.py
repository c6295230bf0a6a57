"""How delta-rs stores a CHECK constraint, so that plan compares like with like.

deltalake (DataFusion) rewrites the expression it stores — literal casts, ``IN`` as ``OR``,
``<>`` as ``!=`` — so comparing a spec's text with the live one would propose dropping and
re-adding the same constraint on every plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tablespec.model.keys import CONSTRAINT_PREFIX

if TYPE_CHECKING:
    import deltalake


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def constraint_forms(raw: deltalake.DeltaTable, wanted: Mapping[str, str], live: Mapping[str, str]) -> dict[str, str]:
    """How deltalake stores each wanted CHECK expression whose live constraint (same name) is
    spelled differently: deltalake (DataFusion) rewrites what it stores — literal casts, ``IN`` as
    ``OR``, ``<>`` as ``!=`` — so comparing texts would propose dropping and re-adding the same
    constraint on every plan. The expressions are added to an empty scratch table with the live
    schema, in a temporary folder, and read back; only when spellings differ (a few ms). An
    expression deltalake rejects gets no form: the plan then shows the change, and apply reports
    the error."""
    lowered = {name.lower(): expr for name, expr in live.items()}
    todo = {name: expr for name, expr in wanted.items()
            if name.lower() in lowered and not same_text(lowered[name.lower()], expr)}
    if not todo:
        return {}
    import tempfile

    from deltalake import DeltaTable as _Delta

    forms: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="tablespec-check-") as scratch:
        try:
            probe = _Delta.create(scratch, raw.schema())
        except Exception:  # noqa: BLE001 - a schema the probe cannot copy: compare texts as they are
            return {}
        for index, expr in enumerate(sorted(set(todo.values()))):
            stored = _stored_form(probe, f"c{index}", expr)
            if stored is not None:
                forms[expr] = stored
    return forms


def _stored_form(probe: deltalake.DeltaTable, name: str, expression: str) -> str | None:
    try:
        probe.alter.add_constraint({name: expression})
    except Exception:  # noqa: BLE001 - a rejected expression keeps no form
        return None
    return probe.metadata().configuration.get(f"{CONSTRAINT_PREFIX}{name}")


# Delta protocol, "Column Invariants"/"CHECK Constraints": writer version 3 enforces CHECKs.
_CHECK_WRITER_VERSION = 3


def constraint_configuration(schema: Any, partitions: list[str], props: Mapping[str, str],
                             constraints: Mapping[str, str], *, strict: bool) -> dict[str, str]:
    """The CREATE configuration holding ``constraints`` as delta-rs stores them
    (``delta.constraints.<name>``, writer version >= 3), so a table is created with its CHECKs in
    one commit. deltalake checks an expression only when adding it to an existing table, so each
    is first added to a scratch table of the same schema in a temporary folder (milliseconds)."""
    import shutil
    import tempfile

    from deltalake import DeltaTable as _Delta

    scratch = tempfile.mkdtemp(prefix="tablespec-check-")
    try:
        table = _Delta.create(scratch, schema, partition_by=partitions or None, configuration=dict(props) or None,
                              raise_if_key_not_exists=strict)
        table.alter.add_constraint(dict(constraints))
        checked = {k: v for k, v in table.metadata().configuration.items() if k.startswith(CONSTRAINT_PREFIX)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    writer = max(int(props.get("delta.minWriterVersion", "0") or 0), _CHECK_WRITER_VERSION)
    return {**props, **checked, "delta.minWriterVersion": str(writer)}
