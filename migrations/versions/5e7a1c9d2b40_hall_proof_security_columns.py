"""hall-proof: session version, return code shown once, participation mode, suspension

Revision ID: 5e7a1c9d2b40
Revises: 78c11013c0e5
Create Date: 2026-12-01 23:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c9d2b40'
down_revision = '78c11013c0e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('code_reveal', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('code_reveal_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('code_reveal_until')
        batch_op.drop_column('code_reveal')
        batch_op.drop_column('session_version')
