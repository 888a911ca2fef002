"""Shared fixtures.

``pg_database``: a PostgreSQL database of this test session's own (created, then dropped).
``traffic_data``: the ``data`` folder of the installed ``traffic`` package, which ships real
airspace files (EUROCONTROL FIRs, traffic's airspace samples). Tests that need it are skipped,
with the reason, when the package is not installed (it is a dev extra, not a dependency).
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from services import POSTGRES_URL, require_service, unavailable


@pytest.fixture(scope="session")
def traffic_data() -> Path:
    # find_spec, not import: importing traffic creates cache directories and loads pandas
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        pytest.skip("the 'traffic' package is not installed (pip install -e '.[dev]'): "
                    "no real airspace files to test on")
    data = Path(spec.origin).parent / "data"
    if not data.is_dir():
        pytest.skip(f"the 'traffic' package has no data folder at {data}")
    return data


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of our own for this session; dropped at the end."""
    import psycopg
    from psycopg import sql

    server = make_url(POSTGRES_URL)
    require_service("PostgreSQL", server.host or "127.0.0.1", server.port or 5432)
    name = f"skyfence_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        unavailable("PostgreSQL", f"cannot create a test database via {POSTGRES_URL}: {exc}")
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture
def pg_empty(pg_database: str) -> Iterator[str]:
    """The session's PostgreSQL database, emptied of skyfence's tables after the test."""
    from skyfence.store.engine import make_engine
    from skyfence.store.schema import metadata

    yield pg_database
    engine = make_engine(pg_database)
    with engine.begin() as conn:
        metadata.drop_all(conn)
    engine.dispose()
