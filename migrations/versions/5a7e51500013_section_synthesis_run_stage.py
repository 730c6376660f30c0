"""workspace: draft_sections.synthesis (the grouping's summary, quotes, subtopics, see-also,
coverage and «Прочее» reason) and cluster_runs.stage (the analysis stage now running)

Revision ID: 5a7e51500013
Revises: j0b5e8a10001
Create Date: 2026-12-02 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a7e51500013'
down_revision = "j0b5e8a10001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('draft_sections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synthesis', sa.JSON(), nullable=True))
    with op.batch_alter_table('cluster_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('cluster_runs', schema=None) as batch_op:
        batch_op.drop_column('stage')
    with op.batch_alter_table('draft_sections', schema=None) as batch_op:
        batch_op.drop_column('synthesis')
