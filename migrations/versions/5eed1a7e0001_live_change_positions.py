"""live: changes.txid (PostgreSQL transaction id) and the (event_id, txid, id) index

The feed reads changes in (txid, id) order below the oldest running transaction on
PostgreSQL, instead of serialising writers with an advisory lock; SQLite leaves txid NULL.

Revision ID: 5eed1a7e0001
Revises: d26ac2e3ebeb
Create Date: 2026-12-01 23:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5eed1a7e0001'
down_revision = 'd26ac2e3ebeb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_changes_event_position', ['event_id', 'txid', 'id'],
                              unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # Every change written so far is committed: it sorts before any new transaction.
        op.execute("UPDATE changes SET txid = 0 WHERE txid IS NULL")


def downgrade():
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_event_position')
        batch_op.drop_column('txid')
