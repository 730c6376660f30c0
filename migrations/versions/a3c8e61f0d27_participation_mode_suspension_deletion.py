"""hall-proof: participation mode, approval, suspension, burst detection, deleted profiles

Revision ID: a3c8e61f0d27
Revises: 5e7a1c9d2b40
Create Date: 2026-12-02 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c8e61f0d27'
down_revision = '5e7a1c9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_approved', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('joined_browser', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_joined_browser'), ['joined_browser'],
                              unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('participation_mode', sa.Enum(
            'open', 'approval', 'invited', name='participationmode', native_enum=False,
            length=10), server_default='open', nullable=False))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('participation_mode')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_joined_browser'))
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('joined_browser')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('is_approved')
