"""petitions: citizens' recommendations followed with the UBND

Revision ID: pe7a1c0d2b3f
Revises: le5c0a7e91b3
Create Date: 2026-12-03 15:16:58

Citizens' recommendations become items followed between the Front and the People's Committee
(issue 17, PRODUCT §10): the item with who holds it now, its history, its files, and the
citizens' chats that follow it by link.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'pe7a1c0d2b3f'
down_revision: Union[str, Sequence[str], None] = 'le5c0a7e91b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('petitions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('people_count', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('citizen_name', sa.String(length=100), nullable=True),
    sa.Column('citizen_phone', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('front_unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('authority_unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('assignee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('forwarded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('forwarded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('extension_until', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.String(length=16), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('informed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_hash', sa.String(length=64), nullable=True),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['people.id'], name=op.f('fk_petitions_answered_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['people.id'], name=op.f('fk_petitions_assignee_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['authority_unit_id'], ['units.id'], name=op.f('fk_petitions_authority_unit_id_units')),
    sa.ForeignKeyConstraint(['forwarded_by'], ['people.id'], name=op.f('fk_petitions_forwarded_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['front_unit_id'], ['units.id'], name=op.f('fk_petitions_front_unit_id_units')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['petitions.id'], name=op.f('fk_petitions_merged_into_id_petitions')),
    sa.ForeignKeyConstraint(['recorded_by'], ['people.id'], name=op.f('fk_petitions_recorded_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_petitions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petitions')),
    sa.UniqueConstraint('code', name=op.f('uq_petitions_code')),
    sa.UniqueConstraint('follow_hash', name=op.f('uq_petitions_follow_hash')),
    sa.UniqueConstraint('year', 'seq', name='uq_petitions_year_seq')
    )
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.create_index('ix_petitions_authority_status', ['authority_unit_id', 'status'], unique=False)
        batch_op.create_index('ix_petitions_front_status', ['front_unit_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_recorded_by'), ['recorded_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_petitions_unit_id'), ['unit_id'], unique=False)

    op.create_table('petition_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('petition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status_after', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['people.id'], name=op.f('fk_petition_events_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_petition_events_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_events_petition_id_petitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_petition_events_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_events'))
    )
    with op.batch_alter_table('petition_events', schema=None) as batch_op:
        batch_op.create_index('ix_petition_events_petition_at', ['petition_id', 'at'], unique=False)

    op.create_table('petition_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('petition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=200), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('added_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['added_by'], ['people.id'], name=op.f('fk_petition_files_added_by_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_files_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petition_files'))
    )
    with op.batch_alter_table('petition_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_petition_files_petition_id'), ['petition_id'], unique=False)

    op.create_table('petition_followers',
    sa.Column('petition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('followed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_petition_followers_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('petition_id', 'chat_id', name=op.f('pk_petition_followers'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('petition_followers')
    with op.batch_alter_table('petition_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petition_files_petition_id'))

    op.drop_table('petition_files')
    with op.batch_alter_table('petition_events', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_events_petition_at')

    op.drop_table('petition_events')
    with op.batch_alter_table('petitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_petitions_unit_id'))
        batch_op.drop_index(batch_op.f('ix_petitions_recorded_by'))
        batch_op.drop_index('ix_petitions_front_status')
        batch_op.drop_index('ix_petitions_authority_status')

    op.drop_table('petitions')
