"""Alembic environment: runs on the connection handed over by simulator.store.db.upgrade, or on the URL."""

import sqlalchemy as sa
from alembic import context

from simulator.store import models

target_metadata = models.SQLModel.metadata


def run_on(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as fresh:
        run_on(fresh)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations()
