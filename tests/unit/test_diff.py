"""diff is pure: a spec and a state in memory, one expected tuple of actions out (compared with ==)."""

from __future__ import annotations

import dataclasses

import pytest

from tablespec.model.actions import (
    AddColumns,
    AddConstraint,
    ChangeColumnType,
    ChangePartitioning,
    ColumnDef,
    CreateTable,
    DropColumn,
    DropConstraint,
    LoadSource,
    PendingFile,
    RelaxNullability,
    SetColumnComment,
    SetDescription,
    SetProperties,
    TightenNullability,
    UnsetProperties,
    Unsupported,
    Vacuum,
)
from tablespec.model.spec import ColumnSpec, RetentionSpec, SourceSpec, TableSpec
from tablespec.model.state import ColumnState, SourceFile, TableState, VacuumPreview, absent
from tablespec.planning import exactly_once as loadplan
from tablespec.planning.diff import (
    MANAGED_KEY,
    classify_type_change,
    desired_properties,
    diff,
    diff_specs,
    nested_additions,
    same_value,
    state_from_spec,
)

T = "sales.orders"
URI = "/w/sales/orders"


def spec(**changes: object) -> TableSpec:
    base = TableSpec(
        name=T,
        location="sales/orders",
        uri=URI,
        columns=(ColumnSpec("id", "long", nullable=False, comment="key"), ColumnSpec("amount", "decimal(18,2)"),
                 ColumnSpec("dt", "date")),
        description="Orders",
        partitioned_by=("dt",),
        properties=(("delta.enableChangeDataFeed", "true"),),
        constraints=(("amount_positive", "amount >= 0"),),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def live(s: TableSpec | None = None, **changes: object) -> TableState:
    """The state tablespec leaves after applying ``s`` (default: :func:`spec`), then ``changes``."""
    state = dataclasses.replace(state_from_spec(s or spec()), version=3)
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


def props(s: TableSpec, **extra: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({**desired_properties(s), **extra}.items()))


# --- no changes, create ------------------------------------------------------------------------


def test_a_table_that_matches_its_spec_has_no_actions() -> None:
    assert diff(spec(), live()) == ()


def test_a_missing_table_is_created_with_everything_the_spec_says() -> None:
    s = spec(retention=RetentionSpec(deleted_files=86400, log=30 * 86400, vacuum=True))
    managed = "delta.deletedFileRetentionDuration,delta.enableChangeDataFeed,delta.logRetentionDuration"
    assert diff(s, absent(URI)) == (
        CreateTable(
            T,
            columns=(ColumnDef("id", "long", False, "key"), ColumnDef("amount", "decimal(18,2)"), ColumnDef("dt", "date")),
            partitioned_by=("dt",),
            properties=(
                ("delta.deletedFileRetentionDuration", "interval 1 days"),
                ("delta.enableChangeDataFeed", "true"),
                ("delta.logRetentionDuration", "interval 30 days"),
                (MANAGED_KEY, managed),
            ),
            description="Orders",
            constraints=(("amount_positive", "amount >= 0"),),
        ),
    )


def test_a_spec_without_properties_records_no_managed_key() -> None:
    s = spec(properties=())
    create = diff(s, absent(URI))[0]
    assert isinstance(create, CreateTable) and create.properties == ()


# --- columns ------------------------------------------------------------------------------------


def test_new_columns_at_the_end_keep_their_place() -> None:
    s = spec(columns=(*spec().columns, ColumnSpec("note", "string", comment="free text")))
    assert diff(s, live()) == (AddColumns(T, (ColumnDef("note", "string", True, "free text"),)),)


def test_new_columns_in_the_middle_say_where_they_land() -> None:
    cols = spec().columns
    s = spec(columns=(cols[0], ColumnSpec("note", "string"), *cols[1:]))
    assert diff(s, live()) == (
        AddColumns(T, (ColumnDef("note", "string"),),
                   note="Delta adds columns at the end: note will follow dt, not sit where the spec lists them"),
    )


def test_a_new_not_null_column_is_added_nullable_then_tightened_by_a_refused_rewrite() -> None:
    s = spec(columns=(*spec().columns, ColumnSpec("qty", "integer", nullable=False)))
    assert diff(s, live()) == (AddColumns(T, (ColumnDef("qty", "integer", True),)), TightenNullability(T, "qty"))


def test_a_column_missing_from_the_spec_is_a_refused_drop() -> None:
    state = live(columns=(*live().columns, ColumnState("legacy", "string")))
    actions = diff(spec(), state)
    assert actions == (DropColumn(T, "legacy", "string"),)
    assert actions[0].risk == "destructive" and "dropping it loses its data" in actions[0].refused_reason


def test_column_names_compare_case_insensitively() -> None:
    state = live(columns=tuple(dataclasses.replace(c, name=c.name.upper()) for c in live().columns),
                 partitioned_by=("DT",))
    assert diff(spec(), state) == ()


def test_nested_field_names_compare_case_insensitively() -> None:
    s = spec(columns=(*spec().columns, ColumnSpec("addr", "struct<city:string>")))
    assert diff(s, live(s, columns=(*live().columns, ColumnState("addr", "struct<City:string>")))) == ()


@pytest.mark.parametrize(("old", "new", "kind", "risk"), [
    ("integer", "long", "widening", "rewrite"),
    ("long", "integer", "narrowing", "destructive"),
    ("long", "string", "incompatible", "unsupported"),
])
def test_type_changes_are_refused_with_their_class(old: str, new: str, kind: str, risk: str) -> None:
    s = spec(columns=(*spec().columns, ColumnSpec("qty", new)))
    state = live(s, columns=(*live().columns, ColumnState("qty", old)))
    actions = diff(s, state)
    assert actions == (ChangeColumnType(T, "qty", old, new, kind),)  # type: ignore[arg-type]
    assert actions[0].risk == risk and actions[0].refused_reason


@pytest.mark.parametrize(("old", "new", "kind"), [
    ("byte", "short", "widening"), ("byte", "long", "widening"), ("short", "integer", "widening"),
    ("integer", "long", "widening"), ("float", "double", "widening"), ("integer", "double", "widening"),
    ("date", "timestamp_ntz", "widening"), ("decimal(10,2)", "decimal(12,2)", "widening"),
    ("decimal(10,2)", "decimal(12,4)", "widening"), ("integer", "decimal(10,0)", "widening"),
    ("array<integer>", "array<long>", "widening"), ("map<string,float>", "map<string,double>", "widening"),
    ("long", "short", "narrowing"), ("double", "float", "narrowing"), ("long", "double", "narrowing"),
    ("decimal(12,2)", "decimal(10,2)", "narrowing"), ("decimal(10,2)", "decimal(11,4)", "narrowing"),
    ("timestamp_ntz", "date", "narrowing"), ("array<long>", "array<integer>", "narrowing"),
    ("string", "integer", "incompatible"), ("integer", "string", "incompatible"), ("boolean", "integer", "incompatible"),
    ("timestamp", "timestamp_ntz", "incompatible"), ("array<string>", "string", "incompatible"),
    ("struct<a:integer>", "struct<b:integer>", "incompatible"), ("variant", "string", "incompatible"),
])
def test_type_change_classes(old: str, new: str, kind: str) -> None:
    assert classify_type_change(old, new) == kind


def test_a_field_added_inside_a_struct_is_unsupported_and_says_which() -> None:
    s = spec(columns=(*spec().columns, ColumnSpec("addr", "struct<city:string,zip:string>")))
    state = live(s, columns=(*live().columns, ColumnState("addr", "struct<city:string>")))
    assert diff(s, state) == (
        Unsupported(T, what="add field(s) addr.zip inside struct column addr",
                    reason="delta-rs cannot add fields inside a struct column in place; add a new top-level column instead"),
    )
    assert nested_additions("array<struct<a:int>>", "array<struct<a:int,b:struct<c:int>>>") == ("b",)
    assert nested_additions("struct<a:int>", "struct<a:long,b:int>") == ()


def test_relaxing_nullability_is_metadata_and_tightening_is_a_refused_rewrite() -> None:
    cols = spec().columns
    s = spec(columns=(dataclasses.replace(cols[0], nullable=True), dataclasses.replace(cols[1], nullable=False), cols[2]))
    actions = diff(s, live())
    assert actions == (RelaxNullability(T, "id"), TightenNullability(T, "amount"))
    assert [a.risk for a in actions] == ["metadata", "rewrite"]


def test_changed_partitioning_is_a_refused_rewrite() -> None:
    actions = diff(spec(partitioned_by=()), live())
    assert actions == (ChangePartitioning(T, ("dt",), ()),)
    assert actions[0].risk == "rewrite" and "partitioning is fixed" in actions[0].refused_reason


# --- properties -----------------------------------------------------------------------------------


def test_changed_and_new_properties_are_set_with_the_managed_key_kept_current() -> None:
    s = spec(properties=(("delta.enableChangeDataFeed", "false"), ("owner", "sales")))
    assert diff(s, live()) == (
        SetProperties(T, (
            ("delta.enableChangeDataFeed", "true", "false"),
            ("owner", None, "sales"),
            (MANAGED_KEY, "delta.enableChangeDataFeed", "delta.enableChangeDataFeed,owner"),
        )),
    )


def test_a_property_removed_from_the_spec_is_unset_but_only_if_tablespec_set_it() -> None:
    before = spec(properties=(("delta.enableChangeDataFeed", "true"), ("owner", "sales")))
    state = live(before, properties=props(before, **{"other.writer": "x", "delta.checkpointInterval": "10"}))
    assert diff(spec(), state) == (
        SetProperties(T, ((MANAGED_KEY, "delta.enableChangeDataFeed,owner", "delta.enableChangeDataFeed"),)),
        UnsetProperties(T, (("owner", "sales"),)),
    )


def test_other_writers_properties_are_never_removed() -> None:
    state = live(properties=props(spec(), **{"delta.checkpointInterval": "10", "delta.minReaderVersion": "1",
                                             "etl.owner": "team-x", "delta.appendOnly": "false"}))
    assert diff(spec(), state) == ()


def test_checkpoint_and_protocol_keys_are_protected_even_if_listed_as_managed() -> None:
    before = spec(properties=(("delta.checkpointInterval", "10"), ("delta.enableChangeDataFeed", "true")))
    state = live(before)
    actions = diff(spec(), state)
    assert actions == (SetProperties(T, ((MANAGED_KEY, "delta.checkpointInterval,delta.enableChangeDataFeed",
                                          "delta.enableChangeDataFeed"),)),)


def test_removing_every_property_unsets_them_and_the_managed_key() -> None:
    state = live()
    assert diff(spec(properties=()), state) == (
        UnsetProperties(T, (("delta.enableChangeDataFeed", "true"), (MANAGED_KEY, "delta.enableChangeDataFeed"))),
    )


def test_an_adopted_table_without_the_managed_key_shows_no_change_until_a_real_one() -> None:
    # planning a spec written by `tablespec import` shows no changes (the import promise); the key rides
    # along with the next real property change
    state = live(properties=(("delta.enableChangeDataFeed", "true"),))
    assert diff(spec(), state) == ()
    changed = spec(properties=(("delta.enableChangeDataFeed", "false"),))
    assert diff(changed, state) == (SetProperties(T, (("delta.enableChangeDataFeed", "true", "false"),
                                                      (MANAGED_KEY, None, "delta.enableChangeDataFeed"))),)


def test_retention_becomes_properties_compared_as_durations() -> None:
    s = spec(properties=(), retention=RetentionSpec(deleted_files=7 * 86400, log=60 * 86400))
    managed = "delta.deletedFileRetentionDuration,delta.logRetentionDuration"
    state = live(properties=(("delta.deletedFileRetentionDuration", "interval 1 weeks"),
                             ("delta.logRetentionDuration", "interval 30 days"), (MANAGED_KEY, managed)))
    assert diff(s, state) == (
        SetProperties(T, (("delta.logRetentionDuration", "interval 30 days", "interval 60 days"),)),
    )


def test_same_value_rules() -> None:
    assert same_value("delta.logRetentionDuration", "interval 1 weeks", "interval 7 days")
    assert same_value("delta.logRetentionDuration", "interval 168 hours", "interval 7 days")
    assert not same_value("delta.logRetentionDuration", "interval 8 days", "interval 7 days")
    assert same_value("delta.appendOnly", "TRUE", "true")
    assert not same_value("owner", "Sales", "sales")


# --- description, comments, constraints --------------------------------------------------------------


def test_description_and_comments() -> None:
    cols = spec().columns
    s = spec(description="All orders", columns=(cols[0], dataclasses.replace(cols[1], comment="EUR"), cols[2]))
    assert diff(s, live()) == (
        SetDescription(T, "Orders", "All orders"),
        SetColumnComment(T, "amount", None, "EUR"),
    )


def test_an_omitted_description_or_comment_is_left_alone() -> None:
    cols = spec().columns
    s = spec(description=None, columns=(dataclasses.replace(cols[0], comment=None), *cols[1:]))
    assert diff(s, live()) == ()


def test_constraints_added_dropped_and_changed() -> None:
    state = live(constraints=(("amount_positive", "amount > 0"), ("old_rule", "id > 0")))
    s = spec(constraints=(("amount_positive", "amount >= 0"), ("dt_recent", "dt >= '2020-01-01'")))
    assert diff(s, state) == (
        DropConstraint(T, "amount_positive", "amount > 0"),
        DropConstraint(T, "old_rule", "id > 0"),
        AddConstraint(T, "amount_positive", "amount >= 0"),
        AddConstraint(T, "dt_recent", "dt >= '2020-01-01'"),
    )


def test_constraints_compare_by_name_case_whitespace_and_deltas_own_spelling() -> None:
    stored = "amount >= '0'::decimal(18, 2)"
    assert diff(spec(), live(constraints=(("AMOUNT_POSITIVE", "amount  >=  0"),))) == ()
    respelled = live(constraints=(("amount_positive", stored),), constraint_forms=(("amount >= 0", stored),))
    assert diff(spec(), respelled) == ()
    unknown = live(constraints=(("amount_positive", stored),))
    assert diff(spec(), unknown) == (DropConstraint(T, "amount_positive", stored),
                                     AddConstraint(T, "amount_positive", "amount >= 0"))


# --- vacuum and loads ---------------------------------------------------------------------------------


def test_vacuum_only_with_files_to_remove_and_destructive_when_time_travel_needs_them() -> None:
    s = spec(retention=RetentionSpec(deleted_files=7 * 86400, vacuum=True))
    base = live(s)
    assert diff(s, dataclasses.replace(base, vacuum=VacuumPreview(604800))) == ()
    safe = diff(s, dataclasses.replace(base, vacuum=VacuumPreview(604800, files=3, bytes=300)))
    assert safe == (Vacuum(T, 604800, 3, 300, 0),) and safe[0].risk == "write"
    unsafe = diff(s, dataclasses.replace(base, vacuum=VacuumPreview(604800, files=3, bytes=300, unsafe_files=2)))
    assert unsafe == (Vacuum(T, 604800, 3, 300, 2),) and unsafe[0].risk == "destructive"
    no_vacuum = dataclasses.replace(s, retention=RetentionSpec(deleted_files=7 * 86400, vacuum=False))
    assert diff(no_vacuum, dataclasses.replace(live(no_vacuum), vacuum=VacuumPreview(604800, files=3))) == ()


def _source(mode: str = "append") -> SourceSpec:
    return SourceSpec(name="daily", path="data/*.csv", resolved="/specs/data/*.csv", format="csv", mode=mode)  # type: ignore[arg-type]


def test_loads_come_from_loadplan_with_the_observed_app_transactions() -> None:
    src = _source()
    s = spec(sources=(src,))
    a = SourceFile("/specs/data/a.csv", 10, "d1")
    b = SourceFile("/specs/data/b.csv", 20, "d2")
    c = SourceFile("/specs/data/c.csv", 30, "d3")
    versions = {loadplan.content_app_id(src, "d1"): 1, loadplan.path_app_id(src, c.path): 7}
    state = live(s, app_transactions=tuple(sorted(versions.items())))
    assert diff(s, state, {"daily": (c, b, a)}) == (
        LoadSource(T, "daily", "append", (PendingFile(a, "already loaded"), PendingFile(b, "new"),
                                           PendingFile(c, "changed"))),
    )
    assert diff(s, state, {"daily": (a,)}) == ()
    assert diff(s, state) == ()  # no files found: nothing to load


def test_a_new_table_loads_after_it_is_created_and_actions_are_phase_sorted() -> None:
    src = _source("create")
    s = spec(sources=(src,), retention=RetentionSpec(vacuum=True))
    a = SourceFile("/specs/data/a.csv", 10, "d1")
    actions = diff(s, absent(URI), {"daily": (a,)})
    assert [type(x) for x in actions] == [CreateTable, LoadSource]


def test_everything_at_once_comes_out_in_phase_order() -> None:
    src = _source()
    cols = spec().columns
    s = spec(
        columns=(cols[0], cols[1], ColumnSpec("note", "string")),
        properties=(("owner", "x"),),
        description="New",
        constraints=(),
        sources=(src,),
        retention=RetentionSpec(vacuum=True),
    )
    state = live(vacuum=VacuumPreview(604800, files=1, bytes=5))
    files = {"daily": (SourceFile("/specs/data/a.csv", 1, "z"),)}
    kinds = [type(a).__name__ for a in diff(s, state, files)]
    # the order apply runs them in (Action.order_key): a dropped constraint first, additive schema
    # changes before rewrites, dropping a column last in the schema phase
    assert kinds == ["DropConstraint", "AddColumns", "DropColumn", "SetProperties", "UnsetProperties",
                     "SetDescription", "LoadSource", "Vacuum"]


# --- spec vs spec ---------------------------------------------------------------------------------------


def test_state_from_spec_then_diff_is_empty() -> None:
    s = spec(retention=RetentionSpec(deleted_files=86400, log=86400 * 30))
    assert diff(s, state_from_spec(s)) == ()


def test_diff_specs_matches_tables_by_name_and_creates_new_ones() -> None:
    old = spec()
    new_table = spec(name="sales.returns", uri="/w/sales/returns")
    changed = spec(description="Changed")
    plans = diff_specs([old], [new_table, changed])
    assert [p.table for p in plans] == ["sales.orders", "sales.returns"]
    assert plans[0].actions == (SetDescription(T, "Orders", "Changed"),)
    assert plans[0].observed_version is None
    assert isinstance(plans[1].actions[0], CreateTable)


def test_diff_specs_leaves_out_removed_tables_and_recreates_moved_ones() -> None:
    assert diff_specs([spec()], []) == ()
    moved = diff_specs([spec()], [spec(uri="/w/elsewhere")])
    assert isinstance(moved[0].actions[0], CreateTable)
