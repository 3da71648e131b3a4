"""The database engine from a URL, and Alembic migrations run from code (no alembic.ini needed)."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _configure_sqlite(dbapi_connection, _record) -> None:
    """Enforce foreign keys; write-ahead logging keeps each commit durable and quick, and lets pages read
    while a turn is being written."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite file when it is missing."""
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; a SQLite file's folder is created when missing."""
    if make_url(url).get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    make_sqlite_folder(url)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _configure_sqlite)
    return engine


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_LOCK_KEY = 0x6C697374656E  # any fixed number: the PostgreSQL advisory lock migrations take
SQLITE_LOCK_WAIT_S = 60


def _sqlite_migration_engine(url: str) -> Engine:
    """A SQLite engine whose transactions start with BEGIN IMMEDIATE: the write lock is taken before the
    schema version is read, so two processes migrating one new file run one after the other."""
    make_sqlite_folder(url)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_LOCK_WAIT_S})
    sa.event.listen(engine, "connect", _configure_sqlite)

    @sa.event.listens_for(engine, "connect")
    def _manual_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _refresh_sqlite_statistics(connection: sa.Connection) -> None:
    """SQLite plans queries well only with table statistics, which it never gathers by itself; a sampled
    ANALYZE takes milliseconds at any size (the cohort dashboard's overrides query is 4-6x faster)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=400")
        connection.exec_driver_sql("ANALYZE")


def _serialise_migrations(connection: sa.Connection) -> None:
    """On PostgreSQL, wait for any other process migrating this database (released at commit)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Migrate a database (given by URL or engine) to `revision`; an empty database gets every table.
    Processes migrating the same database at once take turns; the later ones find nothing to do."""
    given = make_engine(target) if isinstance(target, str) else target
    url = given.url.render_as_string(hide_password=False)
    sqlite = given.dialect.name == "sqlite"
    engine = (
        _sqlite_migration_engine(url)
        if sqlite and given.url.database not in (None, "", ":memory:")
        else given
    )
    config = alembic_config(url)
    with engine.begin() as connection:
        _serialise_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        _refresh_sqlite_statistics(connection)
    if engine is not given:
        engine.dispose()
    if isinstance(target, str):
        given.dispose()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision a database is at (None when it was never migrated)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_store(url: str) -> Engine:
    """An engine for `url` with the schema migrated to the latest revision."""
    engine = make_engine(url)
    upgrade(engine)
    return engine
