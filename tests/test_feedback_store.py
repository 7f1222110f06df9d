"""The corrections store on SQLite files: durable settings, latest per text, counts, schema version."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from feedback.correction import Correction
from feedback.store import DATABASE_FILE, CorrectionStore, SchemaVersionRow, StoreError, database_url

START = datetime(2025, 1, 1, tzinfo=UTC)


def correction(text: str, model: list[str], corrected: list[str], minutes: int = 0) -> Correction:
    return Correction(
        text=text,
        model_name="tiny",
        model_version="1",
        model_scores={"cloud": 0.7},
        model_labels=model,
        corrected_labels=corrected,
        created_at=START + timedelta(minutes=minutes),
    )


@pytest.fixture
def store(tmp_path):
    opened = CorrectionStore(f"sqlite:///{tmp_path / 'corrections.sqlite3'}")
    yield opened
    opened.close()


def test_the_default_database_is_a_file_in_axistag_home(monkeypatch, tmp_path):
    monkeypatch.delenv("AXISTAG_DATABASE_URL", raising=False)
    monkeypatch.setenv("AXISTAG_HOME", str(tmp_path / "home"))
    assert database_url() == f"sqlite:///{tmp_path / 'home' / DATABASE_FILE}"
    monkeypatch.setenv("AXISTAG_DATABASE_URL", "postgresql://db.example/axistag")
    assert database_url() == "postgresql://db.example/axistag"


def test_sqlite_runs_in_wal_mode(store, tmp_path):
    store.record(correction("a", [], ["cloud"]))
    with sqlite3.connect(tmp_path / "corrections.sqlite3") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_every_correction_is_kept_and_the_latest_per_text_is_exported(store):
    first = store.record(correction("a", ["cloud"], ["data"], minutes=0))
    second = store.record(correction("b", [], ["telecom"], minutes=1))
    third = store.record(correction("a", ["cloud"], ["cloud", "data"], minutes=2))
    assert [correction_id for correction_id, _ in store.corrections()] == [first, second, third]
    latest = store.latest_per_text()
    assert [(c.text, c.corrected_labels) for c in latest] == [("a", ["cloud", "data"]), ("b", ["telecom"])]
    assert latest[0].created_at == START + timedelta(minutes=2)


def test_stats_count_added_and_removed_axes(store):
    store.record(correction("a", ["cloud"], ["data"]))
    store.record(correction("b", ["cloud", "data"], ["data", "telecom"]))
    stats = store.stats()
    counts = {entry["axis"]: (entry["added"], entry["removed"]) for entry in stats["axes"]}
    assert stats["corrections"] == 2
    assert counts["cloud"] == (0, 2) and counts["data"] == (1, 0) and counts["telecom"] == (1, 0)
    assert counts["adoption"] == (0, 0)


def test_a_database_of_another_schema_version_is_refused(store):
    store.record(correction("a", [], ["cloud"]))
    with Session(store.engine) as session, session.begin():
        session.execute(update(SchemaVersionRow).values(version=99))
    with pytest.raises(StoreError, match="schema version 99"):
        CorrectionStore(store.url)


def test_reopening_keeps_the_corrections(store):
    store.record(correction("a", [], ["cloud"]))
    reopened = CorrectionStore(store.url)
    assert [c.text for _, c in reopened.corrections()] == ["a"]
    reopened.close()
