"""The corrections database: SQLite under `AXISTAG_HOME` by default, any SQLAlchemy URL in `AXISTAG_DATABASE_URL`.

One row per correction, never updated: the latest correction of a text is found by time when exporting, so
the history of reviewers' judgements is kept. A one-row table records the schema version, so that a later
release can tell an old database from a new one and migrate it. SQLite runs in WAL mode with full
synchronisation: a correction the service has acknowledged survives the process being killed.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, Text, create_engine, event, make_url, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from feedback.correction import Correction
from model.axes import AXES
from model.backbone import axistag_home

SCHEMA_VERSION = 1
DATABASE_FILE = "feedback.sqlite3"
SQLITE_BUSY_SECONDS = 30


class StoreError(RuntimeError):
    """The database cannot be used by this release of axistag."""


class Base(DeclarativeBase):
    pass


class CorrectionRow(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(200))
    model_scores: Mapped[dict[str, float]] = mapped_column(JSON)
    model_labels: Mapped[list[str]] = mapped_column(JSON)
    corrected_labels: Mapped[list[str]] = mapped_column(JSON)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def to_correction(self) -> Correction:
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
        return Correction(
            text=self.text,
            model_name=self.model_name,
            model_version=self.model_version,
            model_scores=dict(self.model_scores),
            model_labels=list(self.model_labels),
            corrected_labels=list(self.corrected_labels),
            reviewer=self.reviewer,
            comment=self.comment,
            source=self.source,
            created_at=created,
        )


class SchemaVersionRow(Base):
    __tablename__ = "axistag_schema"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


def database_url() -> str:
    """`AXISTAG_DATABASE_URL`, else a SQLite file in axistag's home folder."""
    configured = os.environ.get("AXISTAG_DATABASE_URL", "").strip()
    if configured:
        return configured
    home = axistag_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / DATABASE_FILE}"


def _engine(url: str) -> Engine:
    """An engine with psycopg 3 for PostgreSQL URLs and durable, concurrent settings for SQLite."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})

    @event.listens_for(engine, "connect")
    def _durable_sqlite(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    return engine


class CorrectionStore:
    """Records corrections and reads them back; safe to share between the threads of one process."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or database_url()
        self.engine = _engine(self.url)
        Base.metadata.create_all(self.engine)
        self._check_schema_version()

    def _check_schema_version(self) -> None:
        with Session(self.engine) as session:
            row = session.get(SchemaVersionRow, "corrections")
            if row is None:
                session.add(SchemaVersionRow(name="corrections", version=SCHEMA_VERSION))
                try:
                    session.commit()
                except IntegrityError:  # another process created it first
                    session.rollback()
                return
            if row.version != SCHEMA_VERSION:
                raise StoreError(
                    f"the corrections database {self.engine.url.render_as_string()} has schema version "
                    f"{row.version}; this axistag reads version {SCHEMA_VERSION}"
                )

    def record(self, correction: Correction) -> int:
        """Store one correction; its id is returned only once the transaction is committed."""
        row = CorrectionRow(
            text_hash=correction.text_hash,
            text=correction.text,
            model_name=correction.model_name,
            model_version=correction.model_version,
            model_scores=correction.model_scores,
            model_labels=correction.model_labels,
            corrected_labels=correction.corrected_labels,
            reviewer=correction.reviewer,
            comment=correction.comment,
            source=correction.source,
            created_at=correction.created_at,
        )
        with Session(self.engine) as session, session.begin():
            session.add(row)
            session.flush()
            return row.id

    def corrections(self) -> Iterator[tuple[int, Correction]]:
        """Every correction with its id, oldest first."""
        with Session(self.engine) as session:
            query = select(CorrectionRow).order_by(CorrectionRow.created_at, CorrectionRow.id)
            for row in session.scalars(query):
                yield row.id, row.to_correction()

    def latest_per_text(self) -> list[Correction]:
        """The most recent correction of each text, in the order the texts were first corrected."""
        latest: dict[str, Correction] = {}
        for _, correction in self.corrections():
            latest[correction.text_hash] = correction
        return list(latest.values())

    def stats(self) -> dict[str, Any]:
        """How many corrections there are, and per axis how often reviewers added or removed it."""
        added: Counter[str] = Counter()
        removed: Counter[str] = Counter()
        count = 0
        for _, correction in self.corrections():
            count += 1
            added.update(correction.added)
            removed.update(correction.removed)
        return {
            "corrections": count,
            "axes": [{"axis": axis, "added": added[axis], "removed": removed[axis]} for axis in AXES],
        }

    def close(self) -> None:
        self.engine.dispose()
