"""Schema and metadata changes of :class:`tablespec.delta.table.DeltaTable`: add columns, set
properties, descriptions and comments, relax NOT NULL, add and drop CHECK constraints.

Each is one metadata commit, redone on a fresh snapshot when another writer changed the metadata
meanwhile (an alter is declarative, so redoing it is safe). A base class of ``DeltaTable``, kept
apart so ``table.py`` holds the data operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tablespec.delta import sql as ops
from tablespec.delta.commit import commit_properties
from tablespec.delta.conform import delta_field
from tablespec.delta.handle import TableHandle
from tablespec.errors import Refused, SchemaMismatch

if TYPE_CHECKING:
    import deltalake

Metadata = Mapping[str, Any] | None


class TableAlterations(TableHandle):
    """The metadata operations of a table (see the module docstring)."""

    # --- schema and metadata -----------------------------------------------------------------

    def _alter(self, operation: str, change: Callable[[deltalake.DeltaTable, Any], None], metadata: Metadata) -> int:
        """Run one metadata change. deltalake gives up at once when another writer changed the
        metadata meanwhile; an alter is declarative, so it is redone on the new snapshot."""

        def attempt() -> int:
            handle = self.raw()
            with self._errors(operation):
                change(handle, commit_properties(metadata))
            return handle.version()

        return self._retrying(attempt)

    def add_columns(self, columns: Sequence[Any], *, commit_metadata: Metadata = None) -> int:
        """Add nullable top-level columns (pyarrow or deltalake Fields); old rows read as null."""
        fields = [delta_field(c) for c in columns]
        if not fields:
            raise ValueError("add_columns needs at least one column")
        required = [f.name for f in fields if not f.nullable]
        if required:
            raise Refused(
                f"cannot add NOT NULL column(s) {', '.join(required)} to table {self.name}: "
                "existing rows have no value",
                hint="add the column as nullable",
            )

        def change(handle: deltalake.DeltaTable, props: Any) -> None:
            have = {f.name.lower() for f in handle.schema().fields}
            clash = [f.name for f in fields if f.name.lower() in have]
            if clash:
                raise SchemaMismatch(
                    f"table {self.name} already has column(s) {', '.join(clash)}", different=tuple(clash)
                )
            handle.alter.add_columns(fields, commit_properties=props)

        return self._alter("add columns", change, commit_metadata)

    def set_properties(self, properties: Mapping[str, str], *, commit_metadata: Metadata = None) -> int:
        """Set table properties. deltalake cannot unset one; a removed key needs a new table."""
        props = ops.checked_properties(properties)
        if not props:
            raise ValueError("set_properties needs at least one property")
        return self._alter(
            "set properties",
            lambda h, c: h.alter.set_table_properties(
                props, raise_if_not_exists=ops.only_delta_keys(props), commit_properties=c
            ),
            commit_metadata,
        )

    def set_description(self, description: str, *, commit_metadata: Metadata = None) -> int:
        return self._alter(
            "set description",
            lambda h, c: h.alter.set_table_description(description, commit_properties=c),
            commit_metadata,
        )

    def set_column_comment(self, column: str, comment: str | None, *, commit_metadata: Metadata = None) -> int:
        """Set a column's ``comment`` metadata (Spark's key). deltalake cannot delete a metadata key,
        so ``None`` stores an empty comment, which :attr:`schema` leaves out."""

        def change(handle: deltalake.DeltaTable, props: Any) -> None:
            [name] = ops.resolve_columns([column], [f.name for f in handle.schema().fields], what="column")
            handle.alter.set_column_metadata(name, {"comment": comment or ""}, commit_properties=props)

        return self._alter("set column comment", change, commit_metadata)

    def drop_not_null(self, column: str, *, commit_metadata: Metadata = None) -> int:
        def change(handle: deltalake.DeltaTable, props: Any) -> None:
            [name] = ops.resolve_columns([column], [f.name for f in handle.schema().fields], what="column")
            handle.alter.drop_column_not_null(name, commit_properties=props)

        return self._alter("drop not null", change, commit_metadata)

    def add_constraint(self, name: str, expression: str, *, commit_metadata: Metadata = None) -> int:
        """Add a CHECK constraint; deltalake verifies existing rows first and fails if any break it."""
        return self._alter(
            "add constraint",
            lambda h, c: h.alter.add_constraint({name: expression}, commit_properties=c),
            commit_metadata,
        )

    def drop_constraint(self, name: str, *, commit_metadata: Metadata = None) -> int:
        return self._alter(
            "drop constraint", lambda h, c: h.alter.drop_constraint(name, commit_properties=c), commit_metadata
        )
