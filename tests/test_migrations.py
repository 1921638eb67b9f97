"""`flask db upgrade` builds exactly the schema the models describe, on both databases."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from shop.extensions import db
from shop.models.catalog import TRIGRAM_INDEXES

ROOT = Path(__file__).resolve().parent.parent


def include_object(obj, name, type_, reflected, compare_to):
    """As migrations/env.py: the trigram indexes live outside the models' metadata."""
    return not (type_ == "index" and name in TRIGRAM_INDEXES)


def _urls(tmp_path):
    yield "sqlite", f"sqlite:///{tmp_path / 'migrated.db'}"
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        yield "postgresql", base


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_db_upgrade_builds_the_models_schema(backend, tmp_path):
    url = dict(_urls(tmp_path)).get(backend)
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = None
    if backend == "postgresql":
        # A private schema, so the migration runs on an empty database beside the test tables.
        schema = f"mig_{uuid.uuid4().hex[:8]}"
        with create_engine(url.replace("postgresql://", "postgresql+psycopg://")).begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url += ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    env = {**os.environ, "DATABASE_URL": url}
    try:
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(context, db.metadata)
            if backend == "postgresql":
                made = set(conn.execute(text(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = :s"), {"s": schema}
                ).scalars())
                assert set(TRIGRAM_INDEXES) <= made
        engine.dispose()
        assert diff == []
    finally:
        if schema:
            with create_engine(url.split("?")[0].replace(
                    "postgresql://", "postgresql+psycopg://")).begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
