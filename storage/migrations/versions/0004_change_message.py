"""the message that made each change

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 15:45:00

``changes.message_id``: the inbound message whose handling wrote the change, in the same transaction
as the records. A message handled again after its worker died (its records committed, its "done"
not) finds its change and is not acted on twice (`bot.pipeline.already_done`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_changes_message', ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_message')
        batch_op.drop_column('message_id')
