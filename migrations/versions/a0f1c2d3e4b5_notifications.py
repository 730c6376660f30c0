"""notifications: one row per person told about one thing in one event

Revision ID: a0f1c2d3e4b5
Revises: b0115a1e0001
Create Date: 2026-12-02 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a0f1c2d3e4b5'
down_revision = "b0115a1e0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.Enum('comment', 'reply', 'answer', 'hidden', 'restored', 'merged',
                                  'registered', name='notificationkind', native_enum=False,
                                  length=20), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['item_id'], ['schedule_items.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_event_id'), ['event_id'],
                              unique=False)
        batch_op.create_index('ix_notifications_user_event_read',
                              ['user_id', 'event_id', 'read_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_event_read')
        batch_op.drop_index(batch_op.f('ix_notifications_event_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_created_at'))
    op.drop_table('notifications')
