"""The migrations make exactly the schema the models describe (autogenerate finds nothing to do)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base


def _ours(name: str | None, type_: str, _parent: Any) -> bool:
    # Other tables in the same database (LangGraph's checkpoints) are not the models' business.
    return type_ != "table" or name in Base.metadata.tables


def test_the_migrated_schema_matches_the_models(tmp_path: Path, database_url: str | None) -> None:
    db = Database(database_url or f"sqlite:///{tmp_path / 'schema.db'}")
    try:
        db.migrate()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": _ours})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()
