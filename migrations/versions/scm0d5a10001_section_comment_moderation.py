"""section comments moderated like proposal comments: flags and a flag count

Revision ID: scm0d5a10001
Revises: dra4f7e10001
Create Date: 2026-12-02 09:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'scm0d5a10001'
down_revision = "dra4f7e10001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('section_comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_count', sa.Integer(), server_default='0',
                                      nullable=False))
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section_comment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_flags_section_comment_id_section_comments'),
                                    'section_comments', ['section_comment_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.alter_column('proposal_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM flags WHERE section_comment_id IS NOT NULL")
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.alter_column('proposal_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_flags_section_comment_id_section_comments'),
                                 type_='foreignkey')
        batch_op.drop_column('section_comment_id')
    with op.batch_alter_table('section_comments', schema=None) as batch_op:
        batch_op.drop_column('flag_count')
