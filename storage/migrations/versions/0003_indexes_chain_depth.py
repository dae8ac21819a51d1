"""indexes for the hot queries of the flow engine and the channel; chain depth of events and runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:00:00

- runs by status (the recovery, every tick) and a business's latest runs (the runs list);
- events not yet dispatched (after every inbound message and every tick);
- active flows by trigger (cron firings and overdue scans, every tick);
- a local sheet's rows in order (a row's number is counted as it is added), replacing the index on
  ``business_id`` alone, which is its prefix;
- messages by number and time (WhatsApp's 24-hour window, checked before each send through Twilio).

``chain_depth`` on events and runs: how many flow runs led to an event (0 for what people and outside
services did), so a flow that keeps setting itself off is stopped (`flows.dispatch.MAX_CHAIN_DEPTH`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_depth', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_runs_status_resume', ['status', 'resume_at'], unique=False)
        batch_op.create_index('ix_runs_business_created', ['business_id', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_depth', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_events_pending', ['dispatched', 'id'], unique=False)
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.create_index('ix_flows_trigger_status', ['trigger', 'status'], unique=False)
    with op.batch_alter_table('sheet_rows', schema=None) as batch_op:
        batch_op.create_index('ix_sheet_rows_sheet', ['business_id', 'spreadsheet', 'worksheet', 'id'],
                              unique=False)
        batch_op.drop_index('ix_sheet_rows_business_id')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_peer_created', ['peer', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_peer_created')
    with op.batch_alter_table('sheet_rows', schema=None) as batch_op:
        batch_op.create_index('ix_sheet_rows_business_id', ['business_id'], unique=False)
        batch_op.drop_index('ix_sheet_rows_sheet')
    with op.batch_alter_table('flows', schema=None) as batch_op:
        batch_op.drop_index('ix_flows_trigger_status')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_pending')
        batch_op.drop_column('chain_depth')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index('ix_runs_business_created')
        batch_op.drop_index('ix_runs_status_resume')
        batch_op.drop_column('chain_depth')
