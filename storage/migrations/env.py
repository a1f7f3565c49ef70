"""Alembic environment. On PostgreSQL an advisory lock serialises migrations, so several
processes starting at once do not race each other."""

from alembic import context
from sqlmodel import SQLModel

import storage.broadcasts_models  # noqa: F401  (broadcasts and their recipients)
import storage.events_models  # noqa: F401  (registers the events tables)
import storage.models  # noqa: F401  (registers the tables)
import storage.tickets_models  # noqa: F401  (officers, audit log, tickets)
import storage.zalo_oa_models  # noqa: F401  (registers the Zalo OA and Zalo Bot tables)
from storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata
MIGRATION_LOCK = 72_011_001


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    is_pg = engine.dialect.name == "postgresql"
    with engine.connect() as connection:
        if is_pg:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            connection.commit()
        else:
            # SQLite's way to change a table is to copy it and drop the old one; with foreign
            # keys on, that drop would cascade into the rows that point at it.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_pg:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            else:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
    engine.dispose()


run_migrations_online()
