"""track page indexes: the default order and the authors' municipalities of a track

Revision ID: trk0a5e10001
Revises: scm0d5a10001
Create Date: 2026-12-02 21:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'trk0a5e10001'
down_revision = "scm0d5a10001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_proposals_track_order", "proposals",
                    ["track_id", "status", "is_pinned", "support_count", "id"])
    op.create_index("ix_proposals_track_authors", "proposals",
                    ["track_id", "status", "author_id"])


def downgrade():
    op.drop_index("ix_proposals_track_authors", table_name="proposals")
    op.drop_index("ix_proposals_track_order", table_name="proposals")
