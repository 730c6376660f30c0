"""polls: live polls in the hall (polls, poll_options, poll_answers, poll_choices)

Revision ID: b0115a1e0001
Revises: 4932cf0ca7bc
Create Date: 2026-12-02 04:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b0115a1e0001'
down_revision = "4932cf0ca7bc"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'polls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('track_id', sa.Integer(), nullable=True),
        sa.Column('question', sa.String(length=300), nullable=False),
        sa.Column('kind', sa.Enum('single', 'multiple', 'scale', 'words', name='pollkind',
                                  native_enum=False, length=12), nullable=False),
        sa.Column('state', sa.Enum('draft', 'open', 'closed', name='pollstate',
                                   native_enum=False, length=10), nullable=False),
        sa.Column('scale_min', sa.Integer(), nullable=True),
        sa.Column('scale_max', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_polls_created_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'],
                                name=op.f('fk_polls_event_id_events'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['track_id'], ['tracks.id'],
                                name=op.f('fk_polls_track_id_tracks'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_polls')),
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_polls_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_polls_track_id'), ['track_id'], unique=False)

    op.create_table(
        'poll_options',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['poll_id'], ['polls.id'],
                                name=op.f('fk_poll_options_poll_id_polls'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_options')),
    )
    with op.batch_alter_table('poll_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_options_poll_id'), ['poll_id'], unique=False)

    op.create_table(
        'poll_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('word', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['poll_id'], ['polls.id'],
                                name=op.f('fk_poll_answers_poll_id_polls'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_poll_answers_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_answers')),
        sa.UniqueConstraint('poll_id', 'user_id', name=op.f('uq_poll_answers_poll_id')),
    )
    with op.batch_alter_table('poll_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_answers_poll_id'), ['poll_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poll_answers_user_id'), ['user_id'], unique=False)

    op.create_table(
        'poll_choices',
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('option_id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['poll_answers.id'],
                                name=op.f('fk_poll_choices_answer_id_poll_answers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['option_id'], ['poll_options.id'],
                                name=op.f('fk_poll_choices_option_id_poll_options'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['poll_id'], ['polls.id'],
                                name=op.f('fk_poll_choices_poll_id_polls'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('answer_id', 'option_id', name=op.f('pk_poll_choices')),
    )
    with op.batch_alter_table('poll_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_choices_poll_id'), ['poll_id'], unique=False)


def downgrade():
    op.drop_table('poll_choices')
    op.drop_table('poll_answers')
    op.drop_table('poll_options')
    op.drop_table('polls')
