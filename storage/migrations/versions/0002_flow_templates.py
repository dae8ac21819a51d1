"""flow templates published by businesses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flow_templates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('source_flow_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=60), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('blueprint', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_flow_id'], ['flows.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flow_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_templates_business_id'), ['business_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flow_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_templates_business_id'))
    op.drop_table('flow_templates')
