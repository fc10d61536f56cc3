"""The fault tests' own databases: a SQLite data folder, or a fresh PostgreSQL database on
the server the suite runs against (``QITONG_DATABASE_URL``), so that processes of their own
(``qitong serve``, a Celery worker) can be killed without touching the test database."""

import os
import shutil
import uuid

import pytest

from tests.processes import database_of_its_own, database_url, qitong, qitong_env

# The rate limits are tested on their own (tests/security); a burst here must not meet them.
NO_RATE_LIMITS = "login=0/60,filing=0/60,urge=0/600,public=0/60"


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """A data folder migrated once per run (and on PostgreSQL a template database), so that
    each test's database is a copy instead of a migration of its own."""
    folder = tmp_path_factory.mktemp("migrated")
    env = qitong_env(folder, DJANGO_SETTINGS_MODULE="qitong.settings")
    url = os.environ.get("QITONG_DATABASE_URL")
    template = f"fault_template_{uuid.uuid4().hex[:8]}" if url else None
    if url:
        import psycopg

        with psycopg.connect(database_url(url, "postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{template}"')
        env["QITONG_DATABASE_URL"] = database_url(url, template)
    done = qitong("migrate", env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    yield folder, template
    if url:
        with psycopg.connect(database_url(url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{template}" WITH (FORCE)')


@pytest.fixture
def database(migrated, tmp_path):
    """The environment of a migrated database of the test's own (a copy of ``migrated``),
    in a data folder of its own; which database the suite's run decides."""
    folder, template = migrated
    data = tmp_path / "data"
    shutil.copytree(folder, data)
    env = qitong_env(
        data, DJANGO_SETTINGS_MODULE="qitong.settings", QITONG_RATE_LIMITS=NO_RATE_LIMITS
    )
    with database_of_its_own(env, "fault", template=template) as env:
        yield env
