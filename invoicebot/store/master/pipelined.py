"""Several look-ups in one round trip to the database."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Compiled
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel import Session

# --------------------------------------------------------------------------------------
# Several look-ups in one round trip
# --------------------------------------------------------------------------------------

_compiled_lock = threading.Lock()
_compiled: dict[tuple[int, str], Compiled] = {}


def run_pipelined(
    session: Session, requests: Sequence[tuple[ClauseElement, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]] | None:
    """Return the rows of every ``(statement, parameters)`` of ``requests``, sent to
    PostgreSQL at once in psycopg's pipeline mode (one round trip instead of one each).

    Return None on other databases: SQLite runs in this process, a round trip costs it
    nothing. The statements must be of the look-ups above (no expanding parameters); their
    rows come back as psycopg reads them (Decimal, date, parsed JSON), like SQLAlchemy's.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return None
    driver = connection.connection.driver_connection
    queries = []
    for statement, parameters in requests:
        key = (id(statement), connection.dialect.name)
        with _compiled_lock:
            compiled = _compiled.get(key)
            if compiled is None:
                compiled = _compiled[key] = statement.compile(dialect=connection.dialect)
        queries.append((str(compiled), compiled.construct_params(dict(parameters))))
    with driver.pipeline():  # type: ignore[union-attr]
        cursors = [driver.execute(sql, values) for sql, values in queries]  # type: ignore[union-attr]
    return [cursor.fetchall() for cursor in cursors]
