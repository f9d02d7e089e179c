"""The crawl's hot catalog statements on SQLite, run on the DB-API cursor.

A crawl runs about eight statements per page. Through SQLAlchemy's `Connection.execute`
each costs ~30 µs of Python (execution context, parameter processing, result set); the
same statement on the sqlite3 cursor costs ~5 µs. `FastStatements` compiles each
SQLAlchemy statement once with the engine's dialect — the SQL, the order of its
parameters, and the type processors SQLAlchemy would apply (datetimes, JSON, booleans) —
and runs it on the connection's DB-API cursor, inside the same transaction. Values are
stored exactly as SQLAlchemy stores them, and read back as it reads them.

Other dialects (PostgreSQL) go through SQLAlchemy unchanged: several workers share
that catalog, and its savepoints and conflict handling stay SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement for one set of parameter names: SQL, parameter order, processors."""

    def __init__(self, statement: Any, dialect: Dialect, keys: tuple[str, ...] | None) -> None:
        compiled = statement.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        self.sql = compiled.string
        self.names: list[str] = list(compiled.positiontup or [])
        binds = compiled.binds
        table = getattr(statement, "table", None)
        # Parameters the caller does not give: an INSERT's column defaults (scalar or callable).
        self.defaults: dict[str, Any] = {}
        self.binds: list[tuple[str, _Processor]] = []
        for name in self.names:
            param = binds[name]
            self.binds.append((name, param.type._cached_bind_processor(dialect)))
            if keys is not None and name in keys:
                continue
            if param.required and not getattr(statement, "is_insert", False):
                raise KeyError(f"a value for {name!r} is required")
            column = (
                table.c.get(name)
                if table is not None and getattr(statement, "is_insert", False)
                else None
            )
            default = column.default if column is not None else None
            if default is None and not param.required:  # a literal: `== "response"`, LIMIT 1
                if param.callable is not None:
                    self.defaults[name] = param.callable
                else:
                    self.defaults[name] = lambda value=param.value: value
            elif default is None:
                self.defaults[name] = lambda: None
            elif default.is_scalar:
                self.defaults[name] = lambda value=default.arg: value
            elif default.is_callable:
                self.defaults[name] = lambda make=default.arg: make(None)
            else:
                raise ValueError(f"unsupported default for {name}: {default!r}")
        self.columns: list[str] = []
        self.results: list[_Processor] = []
        if getattr(statement, "is_select", False):
            for column in statement.selected_columns:
                self.columns.append(column.key)
                self.results.append(column.type._cached_result_processor(dialect, None))

    def parameters(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, process in self.binds:
            value = params[name] if name in params else self.defaults[name]()
            values.append(process(value) if process is not None else value)
        return tuple(values)

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return {
            name: process(value) if process is not None else value
            for name, process, value in zip(self.columns, self.results, raw, strict=True)
        }


class FastStatements:
    """`fetch_one`, `fetch_all` and `write` for prebuilt statements (module constants)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.enabled = dialect.name == "sqlite"
        self._cache: dict[tuple[int, tuple[str, ...] | None], tuple[Any, _Compiled]] = {}

    def _compiled(self, statement: Executable, keys: tuple[str, ...] | None) -> _Compiled:
        key = (id(statement), keys)
        found = self._cache.get(key)
        if found is None or found[0] is not statement:
            found = (statement, _Compiled(statement, self.dialect, keys))
            self._cache[key] = found
        return found[1]

    @staticmethod
    def _cursor(conn: Connection) -> Any:
        if not conn.in_transaction():
            conn.begin()  # SQLAlchemy commits (or rolls back) what the cursor writes
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        return dbapi.cursor()

    def fetch_one(
        self, conn: Connection, statement: Executable, params: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if not self.enabled:
            row = conn.execute(statement, dict(params)).first()
            return dict(row._mapping) if row is not None else None
        compiled = self._compiled(statement, tuple(sorted(params)))
        raw = self._cursor(conn).execute(compiled.sql, compiled.parameters(params)).fetchone()
        return compiled.row(raw) if raw is not None else None

    def fetch_all(
        self, conn: Connection, statement: Executable, params: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        if not self.enabled:
            return [dict(r._mapping) for r in conn.execute(statement, dict(params))]
        compiled = self._compiled(statement, tuple(sorted(params)))
        rows = self._cursor(conn).execute(compiled.sql, compiled.parameters(params)).fetchall()
        return [compiled.row(raw) for raw in rows]

    def write(self, conn: Connection, statement: Executable, params: Mapping[str, Any]) -> Any:
        """An INSERT (returns the new row's primary key, when the table has an integer one)
        or an UPDATE (returns the number of rows changed)."""
        if not self.enabled:
            result = conn.execute(statement, dict(params))
            if getattr(statement, "is_insert", False):
                key = result.inserted_primary_key
                return key[0] if key else None  # type: ignore[no-any-return]
            return int(result.rowcount)
        compiled = self._compiled(statement, tuple(sorted(params)))
        cursor = self._cursor(conn)
        cursor.execute(compiled.sql, compiled.parameters(params))
        if getattr(statement, "is_insert", False):
            return int(cursor.lastrowid)
        return int(cursor.rowcount)
