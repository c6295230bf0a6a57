"""The executor's dispatch and guards, without storage: every action type is handled, the risk
classes decide refusals, and the execution order is fixed."""

from __future__ import annotations

import pytest

from tablespec.applying.executor import ApplyReport, TableReport, commit_metadata, execution_order, guard
from tablespec.applying.handlers import HANDLERS
from tablespec.model import actions as A
from tablespec.model.plan import TablePlan, action_from_json
from tablespec.render.apply_report import DONE, render_json, render_text, report_to_json


def test_every_action_type_has_an_executor_handler() -> None:
    missing = [t.__name__ for t in A.ACTION_TYPES if t not in HANDLERS]
    assert not missing, f"no executor handler for {missing}"
    assert set(HANDLERS) == set(A.ACTION_TYPES)


def test_every_action_type_has_an_apply_report_line() -> None:
    assert set(DONE) == set(A.ACTION_TYPES)


def _plan(*actions: A.Action) -> TablePlan:
    return TablePlan(table="t", uri="/tmp/t", observed_version=3, spec_hash="h", actions=actions)


def _kinds(refusals: tuple) -> list[str]:
    return [type(r.action).__name__ for r in refusals]


SAFE = (
    A.AddColumns("t", columns=(A.ColumnDef("c", "long"),)),
    A.SetProperties("t", changes=(("delta.appendOnly", None, "true"),)),
    A.AddConstraint("t", name="c", expression="c > 0"),
    A.Vacuum("t", retention_seconds=7 * 86400, files=3, bytes=10, unsafe_files=0),
)


def test_metadata_and_write_actions_pass_the_guard() -> None:
    assert guard(_plan(*SAFE), ()) == ()


@pytest.mark.parametrize(
    ("action", "needs"),
    [
        (A.DropColumn("t", column="x", type="long"), "destructive"),
        (A.ChangeColumnType("t", column="x", old="long", new="integer", kind="narrowing"), "destructive"),
        (A.ChangeColumnType("t", column="x", old="integer", new="long", kind="widening"), "rewrite"),
        (A.TightenNullability("t", column="x"), "rewrite"),
        (A.ChangePartitioning("t", old=("a",), new=("b",)), "rewrite"),
    ],
)
def test_rewrite_and_destructive_need_their_allow(action: A.Action, needs: str) -> None:
    refused = guard(_plan(*SAFE, action), ())
    assert _kinds(refused) == [type(action).__name__]
    assert f'allow=("{needs}",)' in refused[0].hint  # library words; the CLI shows --allow (test below)
    assert refused[0].reason == action.refused_reason
    other = "rewrite" if needs == "destructive" else "destructive"
    assert guard(_plan(action), (other,)) != ()
    assert guard(_plan(action), (needs,)) == ()


def test_unsupported_is_never_allowed() -> None:
    actions = (
        A.Unsupported("t", what="rename table", reason="no"),
        A.ChangeColumnType("t", column="x", old="string", new="long", kind="incompatible"),
    )
    refused = guard(_plan(*actions), ("rewrite", "destructive"))
    assert _kinds(refused) == ["Unsupported", "ChangeColumnType"]


def test_vacuum_is_destructive_only_when_it_would_break_time_travel() -> None:
    """The rule: a vacuum that removes files some version inside the log retention window still
    references breaks time travel to that version, so it is destructive; otherwise it only frees
    storage (class write) and runs without --allow."""
    safe = A.Vacuum("t", retention_seconds=86400, files=5, bytes=100, unsafe_files=0)
    unsafe = A.Vacuum("t", retention_seconds=86400, files=5, bytes=100, unsafe_files=2)
    assert safe.risk == "write" and guard(_plan(safe), ()) == ()
    assert unsafe.risk == "destructive"
    [refusal] = guard(_plan(unsafe), ())
    assert "time travel" in refusal.reason and 'allow=("destructive",)' in refusal.hint
    assert guard(_plan(unsafe), ("destructive",)) == ()


def test_execution_order_is_by_phase_with_dropped_constraints_first_and_drops_last() -> None:
    given = (
        A.Vacuum("t", retention_seconds=1),
        A.LoadSource("t", source="s"),
        A.AddConstraint("t", name="n", expression="x > 0"),
        A.DropColumn("t", column="old"),
        A.SetProperties("t", changes=(("k", None, "v"),)),
        A.ChangePartitioning("t", old=("old",), new=()),
        A.DropConstraint("t", name="uses_old", expression="old > 0"),
        A.AddColumns("t", columns=(A.ColumnDef("new", "long"),)),
        A.CreateTable("t"),
    )
    names = [type(a).__name__ for a in execution_order(given)]
    assert names == [
        "CreateTable", "DropConstraint", "AddColumns", "ChangePartitioning", "DropColumn",
        "SetProperties", "AddConstraint", "LoadSource", "Vacuum",
    ]  # fmt: skip


def test_commit_metadata_keys() -> None:
    meta = commit_metadata("abc123", "sha256:ff")
    assert meta["tablespec.plan_id"] == "abc123"
    assert meta["tablespec.spec_hash"] == "sha256:ff"
    assert meta["tablespec.version"]


def test_report_renders_every_status() -> None:
    refusal_action = A.DropColumn("b", column="x", type="long")
    from tablespec.applying.executor import Refusal

    report = ApplyReport(
        plan_id="p1",
        tables=(
            TableReport("a", "/a", "applied", actions=(A.CreateTable("a", columns=(A.ColumnDef("id", "long"),)),),
                        version_before=None, version_after=0, seconds=0.5),
            TableReport("b", "/b", "refused", refused=(Refusal(refusal_action, refusal_action.refused_reason,
                                                               "pass --allow destructive"),), version_before=2,
                        version_after=2),
            TableReport("c", "/c", "failed", error="boom\nsecond line", error_type="StorageError", hint="retry",
                        version_before=1, version_after=1),
            TableReport("d", "/d", "skipped", version_before=4, version_after=4),
        ),
        seconds=1.0,
    )
    text = render_text(report)
    assert "a: applied in 0.5s (version none -> 0)" in text
    assert "b: refused, nothing applied" in text and "--allow destructive" in text
    assert "c: FAILED" in text and "error: boom" in text and "hint: retry" in text
    assert "d: no changes (version 4)" in text
    assert text.endswith("1 applied, 1 refused, 1 failed, 1 unchanged in 1.0s.")
    data = report_to_json(report)
    assert data["format_version"] == 1 and data["summary"] == {"applied": 1, "refused": 1, "failed": 1, "skipped": 1}
    assert data["tables"][0]["actions"][0]["action"] == "CreateTable"
    assert data["tables"][1]["refused"][0]["action"]["risk"] == "destructive"
    assert action_from_json(data["tables"][0]["actions"][0]) == report.tables[0].actions[0]
    import json

    assert json.loads(render_json(report)) == data


def test_the_cli_shows_library_arguments_as_flags() -> None:
    """Library errors and reports say ``allow=("rewrite",)``; the CLI maps that to its flag."""
    from tablespec.cli.flags import for_cli, report_for_cli
    from tablespec.model.report import Refusal

    assert for_cli('pass allow=("rewrite",) to do it') == "pass --allow rewrite to do it"
    [refusal] = guard(_plan(A.DropColumn("t", column="x", type="long")), allow=())
    report = ApplyReport("p", (TableReport("t", "/t", "refused", refused=(refusal,)),))
    shown = report_for_cli(report)
    assert "--allow destructive" in shown.tables[0].refused[0].hint and "allow=(" not in shown.tables[0].refused[0].hint
    assert isinstance(shown.tables[0].refused[0], Refusal) and shown.tables[0].refused[0].action == refusal.action
