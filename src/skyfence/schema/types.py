"""Helpers shared by the schema modules: conformance and the drift check."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

__all__ = ["conform", "undeclared_columns"]


def undeclared_columns(columns: Iterable[str], schema: pa.Schema) -> list[str]:
    """Return the names in ``columns`` that ``schema`` does not declare, in order."""
    declared = set(schema.names)
    return [c for c in columns if c not in declared]


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast ``table`` to ``schema``: missing declared columns become nulls, order follows the
    schema. Raises ``ValueError`` naming any column the schema does not declare."""
    extra = undeclared_columns(table.column_names, schema)
    if extra:
        raise ValueError(f"columns not declared in the schema: {', '.join(extra)}")
    n = table.num_rows
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            if col.type != field.type:
                col = col.cast(field.type)
            arrays.append(col)
        else:
            arrays.append(pa.nulls(n, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
