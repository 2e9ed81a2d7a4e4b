"""membership life cycle: the audit of membership changes, and the unit each flow works for

Revision ID: f3b8c1d9e7a2
Revises: a3f9c1d2e4b5
Create Date: 2026-12-04 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f3b8c1d9e7a2'
down_revision: Union[str, Sequence[str], None] = 'a3f9c1d2e4b5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('membership_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('role_before', sa.String(length=16), nullable=True),
    sa.Column('role_after', sa.String(length=16), nullable=True),
    sa.Column('invite_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['people.id'], name=op.f('fk_membership_events_by_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invite_id'], ['invites.id'], name=op.f('fk_membership_events_invite_id_invites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_membership_events_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_membership_events_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_events'))
    )
    op.create_index('ix_membership_events_unit_at', 'membership_events', ['unit_id', 'at'], unique=False)
    for table in ('chat_states', 'flow_frames'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('unit_id', sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column('leads', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    for table in ('flow_frames', 'chat_states'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('leads')
            batch.drop_column('unit_id')
    op.drop_index('ix_membership_events_unit_at', table_name='membership_events')
    op.drop_table('membership_events')
