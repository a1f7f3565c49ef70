"""After a deletion of personal data, nothing readable stays behind in SQLite's files: pages
are overwritten (`PRAGMA secure_delete=ON`, set on every connection in storage.db) and the
write-ahead log, which still holds the old pages, is checkpointed and truncated once the
deletion is committed. PostgreSQL needs neither (VACUUM reclaims dead rows)."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlmodel import Session

log = logging.getLogger(__name__)


def checkpoint_after_commit(session: Session) -> None:
    """Checkpoint SQLite's WAL (TRUNCATE) right after this session's next commit."""
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return

    def checkpoint(_session: Session) -> None:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:  # noqa: BLE001  (the deletion itself is committed already)
            log.warning("WAL checkpoint after a deletion failed: %s", type(exc).__name__)

    event.listen(session, "after_commit", checkpoint, once=True)
