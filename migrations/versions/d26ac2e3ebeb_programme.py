"""programme: event status, items with registration and outcomes, registrations, staff invitations

Revision ID: d26ac2e3ebeb
Revises: a7e1c4d2b9f0
Create Date: 2026-12-01 22:39:39.815326

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd26ac2e3ebeb'
down_revision = 'a7e1c4d2b9f0'
branch_labels = None
depends_on = None


def upgrade():
  
    op.create_table('staff_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.Enum('participant', 'facilitator', 'organiser', 'expert', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('track_ids', sa.JSON(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_staff_invitations_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_staff_invitations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['used_by_id'], ['users.id'], name=op.f('fk_staff_invitations_used_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_invitations_token_hash'))
    )
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invitations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_invitations_event_id'), ['event_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('seat', sa.Enum('hall', 'online', name='seat', native_enum=False, length=10), nullable=False),
    sa.Column('status', sa.Enum('registered', 'waiting', 'cancelled', name='registrationstatus', native_enum=False, length=12), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['schedule_items.id'], name=op.f('fk_registrations_item_id_schedule_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('item_id', 'user_id', name=op.f('uq_registrations_item_id'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_user_id'), ['user_id'], unique=False)

    op.create_table('schedule_item_proposals',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['schedule_items.id'], name=op.f('fk_schedule_item_proposals_item_id_schedule_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_schedule_item_proposals_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'proposal_id', name=op.f('pk_schedule_item_proposals'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('draft', 'open', 'finished', 'archived', name='eventstatus', native_enum=False, length=10), server_default='open', nullable=False))

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_item_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invitations_schedule_item_id_schedule_items'), 'schedule_items', ['schedule_item_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('schedule_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.Enum('hall', 'online', 'hybrid', name='itemformat', native_enum=False, length=10), server_default='hall', nullable=False))
        batch_op.add_column(sa.Column('speakers', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('registration_required', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('capacity_hall', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('capacity_online', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waitlist', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('attended_hall', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attended_online', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('outcome_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived', sa.Boolean(), server_default=sa.false(), nullable=False))




def downgrade():
  
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_column('archived')

    with op.batch_alter_table('schedule_items', schema=None) as batch_op:
        batch_op.drop_column('outcome_at')
        batch_op.drop_column('outcome')
        batch_op.drop_column('attended_online')
        batch_op.drop_column('attended_hall')
        batch_op.drop_column('waitlist')
        batch_op.drop_column('capacity_online')
        batch_op.drop_column('capacity_hall')
        batch_op.drop_column('registration_required')
        batch_op.drop_column('speakers')
        batch_op.drop_column('format')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_schedule_item_id_schedule_items'), type_='foreignkey')
        batch_op.drop_column('schedule_item_id')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('status')

    op.drop_table('schedule_item_proposals')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_user_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_item_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_created_at'))

    op.drop_table('registrations')
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_invitations_event_id'))
        batch_op.drop_index(batch_op.f('ix_staff_invitations_created_at'))

    op.drop_table('staff_invitations')

